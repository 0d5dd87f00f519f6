import { open, rename, type FileHandle } from 'node:fs/promises';
import { isMalformed, LineSource, type LineSourceOptions } from './generate.js';
import { deriveSeed, Rng } from './random.js';

/**
 * Real-time traffic into a log file, for `llmtail demo`: every tick, the requests that arrived
 * since the last one (Poisson) are appended as whole lines in a single write, so a tailer never
 * sees a line the simulator has not finished. It can rotate the file the way logrotate's default
 * does (rename to `PATH.1`, create a new `PATH`), for `llmtail simulate --follow --rotate-every`.
 */

export interface SimulatorOptions extends LineSourceOptions {
  path: string;
  ratePerSecond: number;
  /** Fraction of malformed lines. Default 0.001. */
  malformedFraction?: number;
  /** Stops the simulator when aborted. */
  signal?: AbortSignal;
  /** Batch interval. Default 100 ms. */
  tickMs?: number;
  /** Told about failed writes; the simulator keeps going. */
  onError?: (err: Error) => void;
  /** Rotate (rename to `PATH.1`, replacing it, and create a new `PATH`) this often. Default: never. */
  rotateEveryMs?: number;
}

export interface SimulatorStats {
  linesWritten: number;
  requestsWritten: number;
  failuresWritten: number;
  malformedWritten: number;
  bytesWritten: number;
  writeErrors: number;
  rotations: number;
  /** Whether an error burst is under way now. */
  bursting: boolean;
}

export interface SimulatorHandle {
  /** Stop ticking, finish the write in flight and close the file. Idempotent. */
  stop(): Promise<void>;
  stats(): SimulatorStats;
  /** Start a burst of failures now, lasting `durationMs`. */
  forceBurst(durationMs: number): void;
  setRate(ratePerSecond: number): void;
  /** Rename the file to `PATH.1` and go on in a new `PATH`, between two whole batches. */
  rotate(): Promise<void>;
}

/** A stall longer than this (a suspended laptop) does not turn into one huge batch. */
const MAX_CATCH_UP_MS = 5000;

export async function startSimulator(options: SimulatorOptions): Promise<SimulatorHandle> {
  const source = new LineSource({ ...options, malformedFraction: options.malformedFraction ?? 0.001 });
  const arrivals = new Rng(deriveSeed(options.seed ?? 1, 4));
  const tickMs = options.tickMs ?? 100;
  let rate = options.ratePerSecond;
  let handle: FileHandle = await open(options.path, 'a');
  const stats: Omit<SimulatorStats, 'bursting'> = {
    linesWritten: 0,
    requestsWritten: 0,
    failuresWritten: 0,
    malformedWritten: 0,
    bytesWritten: 0,
    writeErrors: 0,
    rotations: 0,
  };
  let last = Date.now();
  let inFlight: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let rotating: Promise<void> | undefined;

  const tick = (): void => {
    // A slow disk or a rotation: let the time pile up and cover it in the next batch.
    if (inFlight !== undefined || stopping !== undefined || rotating !== undefined) return;
    const now = Date.now();
    const elapsed = Math.min(now - last, MAX_CATCH_UP_MS);
    last = now;
    const n = arrivals.poisson((rate * elapsed) / 1000);
    if (n === 0) return;
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(now - arrivals.float() * elapsed);
    times.sort((a, b) => a - b);
    let chunk = '';
    let requests = 0;
    let failures = 0;
    for (const t of times) {
      const { line, truth } = source.next(t);
      chunk += `${line}\n`;
      if (!isMalformed(truth)) {
        requests++;
        if (truth.status !== 'success') failures++;
      }
    }
    inFlight = writeAll(handle, Buffer.from(chunk, 'utf8'))
      .then((bytes) => {
        stats.linesWritten += n;
        stats.requestsWritten += requests;
        stats.failuresWritten += failures;
        stats.malformedWritten += n - requests;
        stats.bytesWritten += bytes;
      })
      .catch((err: unknown) => {
        stats.writeErrors++;
        options.onError?.(err instanceof Error ? err : new Error(String(err)));
      })
      .finally(() => {
        inFlight = undefined;
      });
  };

  const rotate = (): Promise<void> => {
    // Between batches only, so every line lands whole in exactly one of the two files.
    rotating ??= (async () => {
      await inFlight;
      if (stopping !== undefined) return;
      await rename(options.path, `${options.path}.1`);
      const old = handle;
      handle = await open(options.path, 'a');
      stats.rotations++;
      await old.close();
    })()
      .catch((err: unknown) => {
        stats.writeErrors++;
        options.onError?.(err instanceof Error ? err : new Error(String(err)));
      })
      .finally(() => {
        rotating = undefined;
      });
    return rotating;
  };

  const timer = setInterval(tick, tickMs);
  const rotateTimer = options.rotateEveryMs === undefined ? undefined : setInterval(() => void rotate(), options.rotateEveryMs);
  const onAbort = (): void => {
    stop().catch((err: unknown) => options.onError?.(err instanceof Error ? err : new Error(String(err))));
  };
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(timer);
      if (rotateTimer !== undefined) clearInterval(rotateTimer);
      options.signal?.removeEventListener('abort', onAbort);
      await rotating;
      await inFlight;
      await handle.close();
    })();
    return stopping;
  };
  if (options.signal?.aborted) await stop();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    stop,
    stats: () => ({ ...stats, bursting: source.model.inBurst(Date.now()) }),
    forceBurst: (durationMs) => source.model.forceBurst(durationMs, Date.now()),
    setRate: (r) => {
      rate = r;
      source.model.setRate(r);
    },
    rotate,
  };
}

/** write() may write less than asked; loop so a batch always lands whole. */
async function writeAll(handle: FileHandle, buf: Buffer): Promise<number> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await handle.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
  return buf.length;
}
