import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Pipeline } from '../pipeline/pipeline.js';
import { InputPattern } from './glob.js';
import type { LineSplitter } from './line-splitter.js';
import { readAhead, readBuffers, type ReadBuffers } from './read-ahead.js';
import type { Source, SourceStatus } from './source.js';

export interface FileTailerOptions {
  /** Read files found at startup from byte 0 instead of their end. */
  fromBeginning: boolean;
  /** Stat reconcile period: the backstop for file systems where watch events are lost. */
  pollIntervalMs: number;
  readChunkBytes: number;
  /** Bytes one file may read before yielding to the event loop (fairness, scrape latency). */
  readBudgetBytes: number;
}

/** One open file: its identity, how far we have read, and its own partial-line buffer. */
class TailedFile {
  offset: number;
  constructor(
    readonly path: string,
    readonly handle: FileHandle,
    readonly dev: number,
    readonly ino: number,
    start: number,
    readonly splitter: LineSplitter,
  ) {
    this.offset = start;
  }
}

/**
 * Follows files and globs: `fs.watch` on each pattern's directory for low latency, plus a
 * periodic stat reconcile. Files present at startup start at their end (unless fromBeginning);
 * files that appear later start at byte 0 so nothing written before we noticed them is lost.
 * A file whose inode changed under its path (rotation) is read to its end before the new one is
 * opened; a file that shrank below our offset (truncation) is read again from 0.
 */
export class FileTailer implements Source {
  readonly kind = 'file';
  private readonly patterns: InputPattern[];
  private readonly files = new Map<string, TailedFile>();
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private stopped = false;
  private started = false;
  /** Shared by all files: they are read one at a time. */
  private readonly buffers: ReadBuffers;
  rotations = 0;
  truncations = 0;

  constructor(
    patterns: readonly string[],
    private readonly options: FileTailerOptions,
    private readonly pipeline: Pipeline,
    private readonly log: Logger,
  ) {
    this.patterns = patterns.map((p) => new InputPattern(p));
    this.buffers = readBuffers(options.readChunkBytes);
  }

  async start(): Promise<void> {
    for (const p of this.patterns) {
      for (const file of await p.resolve()) await this.openFile(file, this.options.fromBeginning ? 'start' : 'end');
    }
    this.started = true;
    for (const dir of new Set(this.patterns.map((p) => p.baseDir))) this.watchDir(dir);
    this.timer = setInterval(() => this.requestScan(), this.options.pollIntervalMs);
    this.timer.unref();
    this.requestScan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const w of this.watchers) w.close();
    await this.scanning;
    for (const f of this.files.values()) await f.handle.close().catch(() => undefined);
    this.files.clear();
  }

  /** Resolves once every byte currently in the files has been read (tests, replay-like use). */
  async settle(): Promise<void> {
    this.requestScan();
    while (this.scanning !== undefined) await this.scanning;
  }

  get fileCount(): number {
    return this.files.size;
  }

  status(): SourceStatus {
    return {
      kind: this.kind,
      ready: this.started && !this.stopped,
      detail: { patterns: this.patterns.map((p) => p.pattern), files: [...this.files.values()].map((f) => ({ path: f.path, offset: f.offset })) },
    };
  }

  private watchDir(dir: string): void {
    try {
      const w = watch(dir, { persistent: false }, () => this.requestScan());
      w.on('error', () => undefined); // directory gone: the poll keeps going
      this.watchers.push(w);
    } catch {
      // Not there yet: the periodic scan notices it once it exists.
    }
  }

  private requestScan(): void {
    if (this.stopped) return;
    if (this.scanning !== undefined) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scanLoop().finally(() => (this.scanning = undefined));
  }

  private async scanLoop(): Promise<void> {
    do {
      this.rescan = false;
      try {
        await this.scan();
      } catch (err) {
        this.log.warn({ err }, 'file scan failed');
      }
    } while (this.rescan && !this.stopped);
  }

  private async scan(): Promise<void> {
    const seen = new Set<string>();
    for (const p of this.patterns) {
      for (const path of await p.resolve()) {
        seen.add(path);
        if (!this.files.has(path)) await this.openFile(path, 'start');
      }
    }
    for (const file of [...this.files.values()]) {
      if (this.stopped) return;
      await this.follow(file, seen.has(file.path));
    }
  }

  private async follow(file: TailedFile, stillMatched: boolean): Promise<void> {
    let current;
    try {
      current = stillMatched ? await stat(file.path) : undefined;
    } catch {
      current = undefined; // deleted or renamed away
    }
    const same = current !== undefined && current.ino === file.ino && current.dev === file.dev;
    if (same && current !== undefined) {
      if (current.size < file.offset) {
        this.truncations++;
        this.log.info({ path: file.path, offset: file.offset, size: current.size }, 'file truncated, reading from the start');
        file.splitter.reset();
        file.offset = 0;
      }
      await this.readAvailable(file);
      return;
    }
    // Rotated or removed: what the old file still holds is ours; read it to the end first.
    await this.readAvailable(file);
    this.files.delete(file.path);
    await file.handle.close().catch(() => undefined);
    if (current !== undefined) {
      this.rotations++;
      this.log.info({ path: file.path }, 'file rotated, following the new file from the start');
      await this.openFile(file.path, 'start');
      const next = this.files.get(file.path);
      if (next !== undefined) await this.readAvailable(next);
    }
  }

  private async openFile(path: string, at: 'start' | 'end'): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ path, err }, 'cannot open input file');
      return;
    }
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      return;
    }
    this.files.set(path, new TailedFile(path, handle, st.dev, st.ino, at === 'end' ? st.size : 0, this.pipeline.splitter()));
    this.log.debug({ path, offset: at === 'end' ? st.size : 0 }, 'following file');
  }

  /**
   * Read what the file holds beyond our offset. The next read is in flight while a chunk is
   * decoded; after each read budget we yield to the event loop so a backlog cannot starve scrapes.
   */
  private async readAvailable(file: TailedFile): Promise<void> {
    for (;;) {
      const before = file.offset;
      const budget = this.options.readBudgetBytes;
      file.offset = await readAhead(
        file.handle,
        file.offset,
        this.buffers,
        (chunk) => {
          this.pipeline.stats.bytesRead += chunk.length;
          file.splitter.push(chunk);
        },
        (read) => read >= budget,
      );
      if (file.offset - before < budget || this.stopped) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
