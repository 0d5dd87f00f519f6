import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const CHECKPOINT_VERSION = 1;
const FILE = 'checkpoint.json';

/**
 * The envelope every checkpoint has; the parts inside are checked by whoever restores them
 * (they throw on a shape they cannot continue from, and the checkpoint is then set aside).
 */
const envelope = z.object({
  format: z.literal('llmtail-checkpoint'),
  version: z.literal(CHECKPOINT_VERSION),
  written_at: z.number(),
  parts: z.record(z.string(), z.unknown()),
});
export type Checkpoint = z.output<typeof envelope>;

export class StateDirError extends Error {}

/**
 * One checkpoint file in the state directory, replaced atomically: write a temp file, fsync it,
 * rename it over the old one, fsync the directory. A crash at any point leaves either the old
 * checkpoint or the new one, never a torn one. Writes are synchronous on purpose: the state they
 * capture must be the state a scrape is answered from, with no line counted in between.
 */
export class CheckpointStore {
  readonly file: string;
  private readonly tmp: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, FILE);
    this.tmp = path.join(dir, `${FILE}.tmp`);
  }

  /** Create the directory if needed and prove it is writable; a clear error otherwise. */
  init(): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const probe = path.join(this.dir, '.write-probe');
      const fd = openSync(probe, 'w');
      closeSync(fd);
      rmSync(probe);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new StateDirError(
        `state directory ${this.dir} is not writable (${code}): give a writable --state-dir, or run without one (no checkpoints: counters restart from 0 after a restart)`,
      );
    }
  }

  /**
   * The last checkpoint, or undefined when there is none. A checkpoint that cannot be read as
   * one (corrupt, other version) is moved aside and reported through `onSetAside`.
   */
  load(onSetAside: (reason: string, movedTo: string) => void): Checkpoint | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let reason: string;
    try {
      const parsed = envelope.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
      reason = `not a version ${CHECKPOINT_VERSION} checkpoint (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`;
    } catch (err) {
      reason = `not valid JSON (${(err as Error).message})`;
    }
    onSetAside(reason, this.setAside());
    return undefined;
  }

  /** Move the current checkpoint out of the way (kept for inspection); returns where to. */
  setAside(): string {
    const stamp = new Date().toISOString().replace(/[:.]/g, '');
    let to = `${this.file}.bad-${stamp}`;
    for (let n = 1; existsSync(to); n++) to = `${this.file}.bad-${stamp}-${n}`;
    renameSync(this.file, to);
    return to;
  }

  /** Times the state directory was found missing at a write and created again. */
  dirRecreations = 0;

  /**
   * Replace the checkpoint. Throws when it cannot (disk full, read-only); the old checkpoint then
   * stays as it was and no partial temp file is left behind. A state directory that was deleted
   * under us is created again (counted in `dirRecreations`): checkpoints must not stop for good
   * because someone cleaned up /var/lib.
   */
  write(parts: Record<string, unknown>): number {
    const body = Buffer.from(JSON.stringify({ format: 'llmtail-checkpoint', version: CHECKPOINT_VERSION, written_at: Date.now() / 1000, parts }));
    try {
      this.replace(body);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync(this.dir)) throw err;
      mkdirSync(this.dir, { recursive: true });
      this.dirRecreations++;
      this.replace(body);
    }
    return body.length;
  }

  private replace(body: Buffer): void {
    const fd = openSync(this.tmp, 'w', 0o600);
    try {
      // write() may write less than asked (a disk filling up mid-write): loop, so a short write
      // either completes or ends in the ENOSPC that throws — never in a short file renamed over
      // the good checkpoint.
      for (let off = 0; off < body.length; ) off += writeSync(fd, body, off, body.length - off);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      // The partial temp file would hold on to the space we lack, and is no checkpoint.
      rmSync(this.tmp, { force: true });
      throw err;
    }
    closeSync(fd);
    renameSync(this.tmp, this.file);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}
