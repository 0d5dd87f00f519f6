import { open, type FileHandle } from 'node:fs/promises';
import type { LineSplitter } from './line-splitter.js';

/** Where a followed file stands, as kept in a checkpoint. */
export interface FileCheckpoint {
  path: string;
  dev: number;
  ino: number;
  /** The file's first bytes (up to the fingerprint size), base64. */
  fingerprint: string;
  /** Offset of the first byte not yet part of a counted line. */
  offset: number;
  /** Rotated away from `path` and being read to its end. */
  draining: boolean;
}

/**
 * One open file: its identity (device, inode and the hash-free fingerprint of its first bytes),
 * how far we have read, and its own partial-line buffer. The fingerprint is what tells inode reuse
 * and a truncate-then-regrow apart from "the same file, grown".
 */
export class TailedFile {
  offset: number;
  /** Size at the last stat: bytes we knew existed, for counting what a truncation took. */
  lastSize: number;
  /** Modification time at the last look that found a change. */
  lastMtimeMs = -1;
  fingerprint: Buffer;
  /** Set once the path no longer leads to this file: read until then, then close. */
  drainUntil: number | undefined;

  constructor(
    public path: string,
    readonly handle: FileHandle,
    readonly dev: number,
    readonly ino: number,
    start: number,
    readonly splitter: LineSplitter,
    fingerprint: Buffer,
  ) {
    this.offset = start;
    this.lastSize = start;
    this.fingerprint = fingerprint;
  }

  get key(): string {
    return identityKey(this.dev, this.ino);
  }

  /** Offset of the first byte of the partial line we hold: where a restart must resume. */
  get committedOffset(): number {
    return this.offset - this.splitter.pendingBytes;
  }

  /** Grow the fingerprint up to `size` bytes as the file grows past it. */
  async extendFingerprint(size: number): Promise<void> {
    if (this.fingerprint.length >= size) return;
    this.fingerprint = await readPrefix(this.handle, size);
  }

  /** Does the file still start with the bytes we fingerprinted? */
  async sameContent(): Promise<boolean> {
    if (this.fingerprint.length === 0) return true;
    const now = await readPrefix(this.handle, this.fingerprint.length);
    return now.equals(this.fingerprint);
  }

  checkpoint(): FileCheckpoint {
    return {
      path: this.path,
      dev: this.dev,
      ino: this.ino,
      fingerprint: this.fingerprint.toString('base64'),
      offset: this.committedOffset,
      draining: this.drainUntil !== undefined,
    };
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

export function identityKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

/** The first `size` bytes of a file (fewer if it is shorter). */
export async function readPrefix(handle: FileHandle, size: number): Promise<Buffer> {
  if (size <= 0) return Buffer.alloc(0);
  const buf = Buffer.alloc(size);
  const { bytesRead } = await handle.read(buf, 0, size, 0);
  return buf.subarray(0, bytesRead);
}

export async function openForReading(path: string, onError?: (err: unknown) => void): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    onError?.(err);
    return undefined; // gone between listing and opening, or unreadable: the next scan retries
  }
}
