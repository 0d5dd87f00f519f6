import { readSync, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { access, constants, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Pipeline } from '../pipeline/pipeline.js';
import { InputPattern } from './glob.js';
import type { Source, SourceStatus } from './source.js';
import { identityKey, openForReading, readPrefix, TailedFile, type FileCheckpoint } from './tailed-file.js';

export interface FileTailerOptions {
  /** Read files found at a first start (no checkpoint) from byte 0 instead of their end. */
  fromBeginning: boolean;
  /** Stat reconcile period: the backstop for file systems where watch events are lost. */
  pollIntervalMs: number;
  /**
   * While files are being written, look at them this often instead of on every write (0: on every
   * write). A scrape reads what is there first, so /metrics is as fresh either way.
   */
  batchMs: number;
  readChunkBytes: number;
  /** Bytes one file may read per turn before the others (and scrapes) get theirs. */
  readBudgetBytes: number;
  /** How long a rotated or deleted file is still read for lines its writer appends late. */
  rotateWaitMs: number;
  /** How many leading bytes identify a file's content (with device and inode). */
  fingerprintBytes: number;
}

/** The tailer's part of a checkpoint: every file's position, and its counters. */
export interface TailerCheckpoint {
  files: FileCheckpoint[];
  rotations: number;
  truncations: number;
  bytesLost: number;
}

/**
 * Follows files and globs, exactly once:
 * - `fs.watch` on the directories involved for latency, plus a periodic stat reconcile for file
 *   systems that lose watch events; each file reads up to a budget per turn, so a backlog in one
 *   neither starves the others nor stalls scrapes.
 * - Batching: the first write after a quiet spell is read at once; while writes keep coming the
 *   watches are closed and the files looked at every `batchMs` instead, until a look finds nothing
 *   new twice. A process wake-up costs far more than reading a few more lines (issue 15: ~100 µs
 *   here, for 10 lines' worth), so a server appending every 10 ms costs 1000/batchMs looks a
 *   second instead of 100. `catchUp()` (before every scrape) reads what is there synchronously, so
 *   batching never makes /metrics stale.
 * - Files present at a first start begin at their end (unless fromBeginning); files that appear
 *   later, or while we were stopped, begin at byte 0.
 * - A path that now leads to another file (rename + create, delete + recreate, a re-pointed
 *   symlink) leaves the old file draining: it is read for `rotateWaitMs` more, for lines its writer
 *   still appends, and then closed; the new file is read from byte 0. A draining file that shows
 *   up again under a name the globs match (app.log → app.log.1) just continues.
 * - A file that shrinks below our offset (copytruncate), or whose first bytes changed (truncated and
 *   regrown between two looks), is read again from 0; bytes we knew existed but could not read
 *   before that are counted as lost.
 * Identity is device + inode + the file's first bytes, so a reused inode is a new file.
 */
export class FileTailer implements Source {
  readonly kind = 'file';
  private readonly patterns: InputPattern[];
  /** Files at their path now, by path. */
  private readonly active = new Map<string, TailedFile>();
  /** Files rotated away, read until their drain deadline. */
  private readonly draining = new Set<TailedFile>();
  /** Every open file, by device:inode. */
  private readonly byIdentity = new Map<string, TailedFile>();
  private readonly watchers = new Map<string, FSWatcher>();
  /** Directories to watch (re-armed after a batching spell). */
  private readonly watchedDirs = new Set<string>();
  /** Set while batching: the timer that looks at the files instead of watch events. */
  private batchTimer: NodeJS.Timeout | undefined;
  /** Batch looks in a row that found nothing new. */
  private quietLooks = 0;
  /** Bytes read so far, and at the last batch look: did the looks since find anything? */
  private bytesRead = 0;
  private bytesAtLastLook = 0;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private relist = false;
  private stopped = false;
  private started = false;
  /** One read buffer, shared by all files (read one at a time): chunks go through the splitter before the next read. */
  private readonly buffer: Buffer;
  rotations = 0;
  truncations = 0;
  bytesLost = 0;
  /** Grows whenever what a checkpoint would record changes. */
  changes = 0;
  /** Input paths (base directories, files) that exist but cannot be read, with the error code, as of the last listing. */
  private unreadable = new Map<string, string>();
  /** Filled while the inputs are listed; becomes `unreadable` at the end of the listing. */
  private collecting: Map<string, string> | undefined;

  constructor(
    patterns: readonly string[],
    private readonly options: FileTailerOptions,
    private readonly pipeline: Pipeline,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.patterns = patterns.map((p) => new InputPattern(p));
    this.buffer = Buffer.allocUnsafe(options.readChunkBytes);
  }

  /** Open the inputs: from a checkpoint's positions when given, else as a first start. */
  async start(restored?: TailerCheckpoint): Promise<void> {
    if (restored !== undefined) {
      this.rotations = restored.rotations;
      this.truncations = restored.truncations;
      this.bytesLost = restored.bytesLost;
      for (const cp of restored.files) await this.resume(cp);
    }
    const firstStart = restored === undefined && !this.options.fromBeginning;
    await this.listInputs(firstStart ? 'end' : 'start');
    this.started = true;
    for (const p of this.patterns) this.watchDir(p.baseDir);
    this.timer = setInterval(() => this.poll(), this.options.pollIntervalMs);
    this.timer.unref();
    this.requestScan();
  }

  /**
   * The periodic look, for what watch events miss. While batching, the batch timer looks anyway:
   * the poll only asks that its next look list the inputs again, which spares a wake-up's reads.
   */
  private poll(): void {
    if (this.batchTimer !== undefined) this.relist = true;
    else this.requestScan(true);
  }

  /** Stop reading. Positions stay, so a final checkpoint after stop() records where we stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.batchTimer !== undefined) clearInterval(this.batchTimer);
    this.closeWatchers();
    while (this.scanning !== undefined) await this.scanning;
    for (const f of this.byIdentity.values()) await f.close();
  }

  /** Resolves once every byte currently in the files has been read (tests, benchmarks). */
  async settle(): Promise<void> {
    this.requestScan();
    while (this.scanning !== undefined) await this.scanning;
  }

  /**
   * Read what the followed files hold now, synchronously, up to the read budget each (a scrape
   * calls this first, so what was written before it is in it, batching or not). A file whose path
   * now leads elsewhere is left to the scan, which handles rotations.
   */
  catchUp(): void {
    if (!this.started || this.stopped) return;
    // Older lines first, as the scan reads them (see scan()).
    let behind = false;
    for (const file of this.draining) {
      try {
        if (this.readAvailable(file)) behind = true;
      } catch {
        // Gone or closing: the scan drains and closes it.
      }
    }
    if (behind) return;
    for (const file of this.active.values()) {
      const st = statPath(file.path);
      if (st === undefined || identityKey(st.dev, st.ino) !== file.key) {
        this.requestScan(true);
        continue;
      }
      try {
        this.look(file, st);
      } catch (err) {
        this.log.warn({ err, path: file.path }, 'file read failed');
      }
    }
  }

  checkpoint(): TailerCheckpoint {
    return {
      files: [...this.active.values(), ...this.draining].map((f) => f.checkpoint()),
      rotations: this.rotations,
      truncations: this.truncations,
      bytesLost: this.bytesLost,
    };
  }

  get fileCount(): number {
    return this.active.size;
  }

  get drainingCount(): number {
    return this.draining.size;
  }

  /** Bytes known to be in each followed file but not yet counted, by path. */
  lag(): { path: string; bytes: number }[] {
    return [...this.active.values()].map((f) => ({ path: f.path, bytes: Math.max(0, f.lastSize - f.committedOffset) }));
  }

  /** Input paths that exist but cannot be read (permission denied). */
  get unreadableCount(): number {
    return this.unreadable.size;
  }

  /** Not ready while an input cannot be read: that is a misconfiguration someone must see. */
  status(): SourceStatus {
    return {
      kind: this.kind,
      ready: this.started && !this.stopped && this.unreadable.size === 0,
      detail: {
        patterns: this.patterns.map((p) => p.pattern),
        files: [...this.active.values()].map((f) => ({ path: f.path, offset: f.offset })),
        unreadable: [...this.unreadable].map(([p, code]) => ({ path: p, code })),
      },
    };
  }

  private watchDir(dir: string): void {
    this.watchedDirs.add(dir);
    if (this.watchers.has(dir) || this.stopped || this.batchTimer !== undefined) return;
    try {
      // 'change' is a write to a file we may follow; 'rename' is a file appearing, moving or going.
      const w = watch(dir, { persistent: false }, (event) => (event === 'change' ? this.onWrite() : this.requestScan(true)));
      w.on('error', () => {
        // The directory went away: forget the watch so a later scan can set it up again.
        w.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    } catch {
      // Not there yet: the periodic scan notices it once it exists.
    }
  }

  private closeWatchers(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** A write: look now, and from now on every batchMs while writes keep coming. */
  private onWrite(): void {
    this.requestScan(false);
    if (this.options.batchMs <= 0 || this.stopped) return;
    this.closeWatchers();
    this.quietLooks = 0;
    this.bytesAtLastLook = this.bytesRead;
    this.batchTimer = setInterval(() => this.batchLook(), this.options.batchMs);
    this.batchTimer.unref();
  }

  private batchLook(): void {
    // Did the looks since the last tick (this timer's, the poll's, a scrape's) read anything?
    const found = this.bytesRead !== this.bytesAtLastLook;
    this.bytesAtLastLook = this.bytesRead;
    if (found) this.quietLooks = 0;
    else if (++this.quietLooks >= 2) {
      // Quiet again: back to watch events. Watch first, then look, so no write falls in between.
      clearInterval(this.batchTimer);
      this.batchTimer = undefined;
      for (const dir of this.watchedDirs) this.watchDir(dir);
    }
    this.requestScan(false);
  }

  /**
   * `relist`: list the globs again (a file may have appeared or gone). A write needs only the
   * followed files looked at, which spares a directory listing per write on a busy log.
   */
  private requestScan(relist = true): void {
    if (this.stopped) return;
    if (relist) this.relist = true;
    if (this.scanning !== undefined) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scanLoop().finally(() => (this.scanning = undefined));
  }

  private async scanLoop(): Promise<void> {
    do {
      this.rescan = false;
      const relist = this.relist;
      this.relist = false;
      try {
        await this.scan(relist);
      } catch (err) {
        this.log.warn({ err }, 'file scan failed');
      }
      if (this.rescan) await new Promise<void>((resolve) => setImmediate(resolve));
    } while (this.rescan && !this.stopped);
  }

  private async scan(relist: boolean): Promise<void> {
    let matched: Set<string> | undefined;
    if (relist) {
      for (const p of this.patterns) this.watchDir(p.baseDir);
      matched = await this.listInputs('start');
    }
    // Rotated-away files first: their lines are older than those of the file now at their path,
    // and the log's clock (event time) should see them in that order. While one still has more
    // than a read budget to go, the newer files wait for the next turn.
    let behind = false;
    for (const file of [...this.draining]) {
      if (this.stopped) return;
      if (await this.drain(file)) behind = true;
    }
    if (behind) return;
    for (const file of [...this.active.values()]) {
      if (this.stopped) return;
      // Without a fresh listing a followed path counts as still matched; its stat tells the rest.
      await this.follow(file, matched?.has(file.path) ?? true);
    }
  }

  /**
   * List the inputs, start following the files not followed yet, and note the paths that cannot
   * be read (a glob lists nothing in a directory it may not read, which alone would look like "no
   * log yet"): they are logged once, exported, and keep the input not ready until readable.
   */
  private async listInputs(at: 'start' | 'end'): Promise<Set<string>> {
    const problems = new Map<string, string>();
    this.collecting = problems;
    const matched = new Set<string>();
    try {
      for (const p of this.patterns) {
        try {
          await access(p.baseDir, constants.R_OK | constants.X_OK);
        } catch (err) {
          this.noteUnreadable(p.baseDir, err);
        }
        for (const file of await p.resolve()) matched.add(file);
      }
      for (const file of matched) if (!this.active.has(file)) await this.discover(file, at);
    } finally {
      this.collecting = undefined;
      this.setUnreadable(problems);
    }
    return matched;
  }

  private noteUnreadable(filePath: string, err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') return; // ENOENT: not there yet, which is fine
    if (this.collecting?.has(path.dirname(filePath)) === true) return; // its directory says it all
    this.collecting?.set(filePath, code);
  }

  private setUnreadable(now: Map<string, string>): void {
    for (const [p, code] of now) {
      if (!this.unreadable.has(p)) this.log.warn({ path: p, code }, 'cannot read input (permission denied); its lines are counted once it can be read');
    }
    for (const p of this.unreadable.keys()) if (!now.has(p)) this.log.info({ path: p }, 'input readable again');
    this.unreadable = now;
  }

  /** A path the globs match that we do not follow yet. */
  private async discover(filePath: string, at: 'start' | 'end'): Promise<void> {
    let st;
    try {
      st = await stat(filePath);
    } catch (err) {
      this.noteUnreadable(filePath, err);
      return;
    }
    if (!st.isFile()) return;
    const known = this.byIdentity.get(identityKey(st.dev, st.ino));
    if (known !== undefined) {
      // A file we already read, now under this name (renamed to a name the globs match).
      if (known.drainUntil !== undefined) {
        this.draining.delete(known);
        known.drainUntil = undefined;
      } else {
        this.active.delete(known.path);
      }
      known.path = filePath;
      this.active.set(filePath, known);
      this.changes++;
      return;
    }
    const handle = await openForReading(filePath, (err) => this.noteUnreadable(filePath, err));
    if (handle === undefined) return;
    const opened = await handle.stat();
    if (!opened.isFile() || this.byIdentity.has(identityKey(opened.dev, opened.ino))) {
      await handle.close();
      return;
    }
    const start = at === 'end' ? await endOfLastLine(handle, opened.size) : 0;
    const fingerprint = await readPrefix(handle, Math.min(this.options.fingerprintBytes, start));
    const file = new TailedFile(filePath, handle, opened.dev, opened.ino, start, this.pipeline.splitter(), fingerprint);
    this.track(file);
    this.log.info({ path: filePath, offset: start }, 'following file');
  }

  private track(file: TailedFile): void {
    this.byIdentity.set(file.key, file);
    if (file.drainUntil === undefined) this.active.set(file.path, file);
    else this.draining.add(file);
    this.changes++;
    void realpath(file.path).then(
      (real) => this.watchDir(path.dirname(real)),
      () => undefined,
    );
  }

  /**
   * One look at a followed file: a stat of its path, a compare of its first bytes, and the read of
   * what it gained. Synchronous on purpose: this runs on every write to the log (100 times a second
   * at 1,000 lines/s in 10 ms batches), and a synchronous stat and pread cost a few µs of CPU each
   * where the promise API costs 30–80 µs (issue 15's measurements); the reads are bounded by the
   * read budget, so one look never holds the event loop for long.
   */
  private async follow(file: TailedFile, stillMatched: boolean): Promise<void> {
    const st = statPath(file.path);
    if (st === undefined || !stillMatched || identityKey(st.dev, st.ino) !== file.key) {
      this.rotated(file);
      this.readAvailable(file);
      if (st !== undefined && stillMatched) await this.discover(file.path, 'start');
      return;
    }
    this.look(file, st);
  }

  /** The synchronous part of a look at a file still at its path, given its fresh stat. */
  private look(file: TailedFile, st: Stats): void {
    // Unchanged since the last look (same size, same mtime): nothing to read, nothing to compare.
    // This is what an idle sidecar does twice a second, so it is one stat and no more.
    if (st.size === file.lastSize && st.mtimeMs === file.lastMtimeMs && st.size === file.offset) return;
    file.lastMtimeMs = st.mtimeMs;
    // Size alone misses a file truncated and regrown past our offset between two looks: its first
    // bytes tell (one small read per look).
    if (st.size < file.offset || !file.sameContent()) this.truncated(file, st.size);
    file.lastSize = Math.max(st.size, file.lastSize);
    this.readAvailable(file);
    file.extendFingerprint(Math.min(this.options.fingerprintBytes, file.offset));
  }

  private rotated(file: TailedFile): void {
    this.active.delete(file.path);
    file.drainUntil = this.now() + this.options.rotateWaitMs;
    this.draining.add(file);
    this.rotations++;
    this.changes++;
    this.log.info({ path: file.path, rotate_wait_ms: this.options.rotateWaitMs }, 'file rotated or removed; reading the old one to its end');
  }

  private truncated(file: TailedFile, size: number): void {
    // What we knew was there but had not read, and the line we held a beginning of, are gone.
    const lost = Math.max(0, file.lastSize - file.offset) + file.splitter.reset();
    this.truncations++;
    this.bytesLost += lost;
    this.log.info({ path: file.path, offset: file.offset, size, bytes_lost: lost }, 'file truncated; reading it again from the start');
    file.offset = 0;
    file.lastSize = 0;
    file.fingerprint = Buffer.alloc(0);
    this.changes++;
  }

  /**
   * Read a rotated file; close it once its grace period is over and nothing is left in it. True
   * while it has more to read than one turn's budget.
   */
  private async drain(file: TailedFile): Promise<boolean> {
    const more = this.readAvailable(file);
    if (!more && file.drainUntil !== undefined && this.now() >= file.drainUntil) {
      // A line its writer never finished will not be finished now.
      this.bytesLost += file.splitter.reset();
      this.draining.delete(file);
      this.byIdentity.delete(file.key);
      this.changes++;
      await file.close();
      this.log.debug({ path: file.path, offset: file.offset }, 'closed rotated file');
    }
    return more;
  }

  /** Resume a checkpointed file: at its path, or under another name in the same directory. */
  private async resume(cp: FileCheckpoint): Promise<void> {
    const fingerprint = Buffer.from(cp.fingerprint, 'base64');
    const found = (await this.findByIdentity(cp.path, cp.dev, cp.ino, fingerprint)) ?? (await this.findRenamed(cp, fingerprint));
    if (found === undefined) {
      this.log.warn({ path: cp.path, offset: cp.offset }, 'a checkpointed file is gone; lines written to it after the checkpoint were not read');
      return;
    }
    const { filePath, handle, size } = found;
    let offset = cp.offset;
    if (size < offset) {
      this.truncations++;
      this.log.info({ path: filePath, offset, size }, 'file truncated while stopped; reading it from the start');
      offset = 0;
    }
    const file = new TailedFile(filePath, handle, cp.dev, cp.ino, offset, this.pipeline.splitter(), offset === 0 ? Buffer.alloc(0) : fingerprint);
    const atItsPath = filePath === cp.path && !cp.draining;
    if (!atItsPath) file.drainUntil = this.now() + this.options.rotateWaitMs;
    if (filePath !== cp.path) this.rotations++; // rotated while we were stopped
    this.track(file);
    this.log.info({ path: filePath, offset, draining: !atItsPath }, 'resuming file from checkpoint');
  }

  private async findByIdentity(filePath: string, dev: number, ino: number, fingerprint: Buffer) {
    const handle = await openForReading(filePath);
    if (handle === undefined) return undefined;
    const st = await handle.stat();
    if (st.dev === dev && st.ino === ino && (await readPrefix(handle, fingerprint.length)).equals(fingerprint)) return { filePath, handle, size: st.size };
    await handle.close();
    return undefined;
  }

  /** Rotation while we were stopped: the old file may sit beside its old path under a new name. */
  private async findRenamed(cp: FileCheckpoint, fingerprint: Buffer) {
    const dir = path.dirname(cp.path);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return undefined;
    }
    for (const name of names) {
      const candidate = path.join(dir, name);
      if (candidate === cp.path) continue;
      try {
        const st = await stat(candidate);
        if (st.dev !== cp.dev || st.ino !== cp.ino) continue;
      } catch {
        continue;
      }
      const found = await this.findByIdentity(candidate, cp.dev, cp.ino, fingerprint);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * Read what the file holds beyond our offset, one read budget per turn; when the budget runs
   * out, ask for another scan so every file (and the event loop) gets a turn first. A short read
   * ends the turn without the read that would return 0: appends after it bring another look.
   */
  private readAvailable(file: TailedFile): boolean {
    const before = file.offset;
    const budget = this.options.readBudgetBytes;
    const buf = this.buffer;
    for (;;) {
      const bytesRead = readSync(file.handle.fd, buf, 0, buf.length, file.offset);
      if (bytesRead === 0) break;
      // Offset and counts move together, chunk by chunk, so a checkpoint pairs them.
      file.splitter.push(buf.subarray(0, bytesRead));
      file.offset += bytesRead;
      this.bytesRead += bytesRead;
      this.changes++;
      if (bytesRead < buf.length || file.offset - before >= budget) break;
    }
    file.lastSize = Math.max(file.lastSize, file.offset);
    const more = file.offset - before >= budget;
    if (more) this.rescan = true;
    return more;
  }
}

/** A path's stat, or undefined when it cannot be had (gone, unreadable): the caller treats both as "not this file". */
function statPath(filePath: string): Stats | undefined {
  try {
    return statSync(filePath);
  } catch {
    return undefined;
  }
}

/**
 * Where "the end" of an existing file is for a first start: after its last newline, so a line
 * being written at that moment is read whole once it is finished rather than as a broken tail.
 */
async function endOfLastLine(handle: FileHandle, size: number): Promise<number> {
  if (size === 0) return 0;
  const window = Math.min(size, 64 * 1024);
  const buf = Buffer.alloc(window);
  const { bytesRead } = await handle.read(buf, 0, window, size - window);
  const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
  return nl === -1 ? size : size - window + nl + 1;
}
