import { isUtf8 } from 'node:buffer';
import type { LineStats } from '../pipeline/line-stats.js';

/** What a byte source pushes into: the pipeline, or `backfill`'s wrapper around it. */
export interface LineSink {
  splitter(): LineSplitter;
}

/**
 * Bytes → lines. Works on bytes, not strings, so a multi-byte UTF-8 character split across two
 * reads is decoded whole, and byte offsets stay exact for checkpoints. A partial last line is held
 * until its newline arrives (`flush` is only for streams that really ended). A line longer than
 * `maxLineBytes` is discarded without being buffered, counted once as too_long, and the line after
 * it is read normally.
 */
export class LineSplitter {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** Bytes of an over-long line dropped so far; > 0 while we wait for its end. */
  private discardedBytes = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (text: string) => void,
    private readonly stats: LineStats,
  ) {}

  /** Bytes received that belong to a line whose newline has not arrived yet. */
  get pendingBytes(): number {
    return this.carryBytes + this.discardedBytes;
  }

  /**
   * Feed bytes. `stats.bytesRead` grows by the bytes of lines completed here, so it counts each
   * line once even when a restart re-reads a partial line from its start.
   */
  push(chunk: Buffer): void {
    const before = this.pendingBytes;
    this.split(chunk);
    this.stats.bytesRead += before + chunk.length - this.pendingBytes;
  }

  private split(chunk: Buffer): void {
    let start = 0;
    const end = chunk.length;
    while (start < end) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.hold(chunk, start, end);
        return;
      }
      if (this.discardedBytes > 0) {
        this.discardedBytes = 0;
        this.stats.invalidLine('too_long');
      } else if (this.carryBytes > 0) {
        this.completeCarried(chunk, start, nl);
      } else if (nl - start > this.maxLineBytes) {
        this.stats.invalidLine('too_long');
      } else {
        this.emit(chunk, start, nl);
      }
      start = nl + 1;
    }
  }

  /** End of stream: whatever is held is a complete last line. */
  flush(): void {
    this.stats.bytesRead += this.pendingBytes;
    if (this.discardedBytes > 0) {
      this.discardedBytes = 0;
      this.stats.invalidLine('too_long');
    } else if (this.carryBytes > 0) {
      const line = Buffer.concat(this.carry, this.carryBytes);
      this.carry = [];
      this.carryBytes = 0;
      this.emit(line, 0, line.length);
    }
  }

  /** Forget any held partial line (the file under it was replaced). Returns the bytes dropped. */
  reset(): number {
    const dropped = this.pendingBytes;
    this.carry = [];
    this.carryBytes = 0;
    this.discardedBytes = 0;
    return dropped;
  }

  private hold(chunk: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.discardedBytes > 0) {
      this.discardedBytes += n;
      return;
    }
    if (this.carryBytes + n > this.maxLineBytes) {
      this.discardedBytes = this.carryBytes + n;
      this.carry = [];
      this.carryBytes = 0;
      return;
    }
    // Copy: the caller reuses its read buffer.
    this.carry.push(Buffer.from(chunk.subarray(start, end)));
    this.carryBytes += n;
  }

  private completeCarried(chunk: Buffer, start: number, nl: number): void {
    const total = this.carryBytes + (nl - start);
    if (total > this.maxLineBytes) {
      this.stats.invalidLine('too_long');
    } else {
      this.carry.push(chunk.subarray(start, nl));
      const line = Buffer.concat(this.carry, total);
      this.emit(line, 0, line.length);
    }
    this.carry = [];
    this.carryBytes = 0;
  }

  private emit(buf: Buffer, start: number, end: number): void {
    const text = buf.toString('utf8', start, end);
    // U+FFFD in the text is either real or a repaired invalid byte sequence; only then is the
    // (slower) byte check worth doing.
    if (text.indexOf('\uFFFD') !== -1 && !isUtf8(buf.subarray(start, end))) this.stats.warning('invalid_utf8');
    this.onLine(text);
  }
}
