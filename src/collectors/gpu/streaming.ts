import { performance } from 'node:perf_hooks';
import { EXIT_INVALID_ARGUMENT, EXIT_NO_DEVICES, reasonForExit, type FailureReason } from './exit-codes.js';
import { GroupProcess, drained } from './process-runner.js';
import { GpuTable, sortByIndex, type GpuReading } from './readings.js';

/**
 * One long-running `nvidia-smi --query-gpu=… --format=csv,nounits -lms <interval>`: NVML is
 * initialised once, not per sample, and nothing forks per scrape. It prints the header once and
 * then one row per GPU every interval; rows are grouped into samples here. The child is restarted
 * with exponential backoff when it exits, and killed when it goes quiet for longer than an
 * interval plus the timeout (a wedged driver).
 */

export interface StreamOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly killGraceMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
}

export interface StreamEvents {
  /** A complete sample; `badRows` rows of it could not be read. */
  sample(rows: GpuReading[], badRows: number, durationMs: number): void;
  failure(reason: FailureReason, detail: string, durationMs: number): void;
  spawned(): void;
  exited(code: number): void;
  /** nvidia-smi rejected the loop flag before producing anything: caller switches to polling. */
  unsupported(detail: string): void;
}

/** Longest line we buffer; nvidia-smi rows are a few hundred bytes. */
const MAX_LINE = 64 * 1024;

export class GpuStream {
  private child: GroupProcess | undefined;
  private stopped = true;
  private timers = new Set<NodeJS.Timeout>();
  private watchdog: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private restartPending = false;
  // Per child:
  private table: GpuTable | undefined;
  private carry = '';
  private samples = 0;
  private spawnedAt = 0;
  private killedFor: FailureReason | undefined;
  private garbage: string | undefined;
  // Per sample being assembled:
  private batch: GpuReading[] = [];
  private batchUuids = new Set<string>();
  private batchBad = 0;
  private batchStart = 0;
  private expected: number | undefined;

  constructor(
    private readonly options: StreamOptions,
    private readonly events: StreamEvents,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.spawn();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.clearWatchdog();
    this.clearFlush();
    const child = this.child;
    if (child === undefined) return;
    this.killedFor = 'timeout';
    await child.terminate(this.options.killGraceMs);
    child.release();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private spawn(): void {
    this.restartPending = false;
    if (this.stopped) return;
    const previous = this.child;
    if (previous !== undefined && previous.alive) {
      // A killed child that has not died (wedged in the driver): never stack another on top.
      this.events.failure('timeout', 'previous nvidia-smi still running after SIGKILL', 0);
      this.scheduleRestart(this.nextBackoff());
      return;
    }
    this.table = undefined;
    this.carry = '';
    this.samples = 0;
    this.killedFor = undefined;
    this.garbage = undefined;
    this.expected = undefined;
    this.resetBatch();
    this.spawnedAt = performance.now();
    let child: GroupProcess;
    try {
      child = GroupProcess.spawn(this.options.file, this.options.args, this.options.env);
    } catch (err) {
      this.events.failure('spawn_error', String(err), 0);
      return this.scheduleRestart(this.nextBackoff());
    }
    this.child = child;
    this.events.spawned();
    child.child.stdout.setEncoding('utf8');
    child.child.stdout.on('data', (chunk: string) => {
      if (this.child === child) this.onData(chunk);
    });
    child.child.stderr.setEncoding('utf8');
    child.child.stderr.on('data', (chunk: string) => {
      if (this.child === child && this.garbage === undefined) this.garbage = chunk.trim().slice(0, 500);
    });
    // The first sample needs NVML initialisation: it gets the plain timeout.
    this.armWatchdog(this.options.timeoutMs);
    void child.exited.then(async (status) => {
      if (status.code !== undefined) await drained(child, 100);
      if (this.child === child) this.onExit(child, status.code, status.spawnError);
    });
  }

  private onData(chunk: string): void {
    this.carry += chunk;
    let nl: number;
    while ((nl = this.carry.indexOf('\n')) !== -1) {
      const line = this.carry.slice(0, nl).replace(/\r$/, '');
      this.carry = this.carry.slice(nl + 1);
      this.onLine(line);
    }
    if (this.carry.length > MAX_LINE) {
      this.carry = '';
      this.fail('parse_error', `a line longer than ${MAX_LINE} bytes`);
    }
  }

  private onLine(line: string): void {
    if (line.trim() === '' || this.killedFor !== undefined) return;
    const table = this.table;
    if (table === undefined) {
      const parsed = GpuTable.fromHeader(line);
      if (parsed !== undefined) {
        this.table = parsed;
        return;
      }
      // nvidia-smi prints its error ("No devices were found", "Failed to initialize NVML…") and
      // exits with the reason: give it a moment so the exit code, not the text, decides.
      if (this.garbage === undefined) this.garbage = line.slice(0, 500);
      const child = this.child;
      this.later(Math.min(500, this.options.timeoutMs), () => {
        if (this.child === child && child?.alive === true && this.table === undefined) this.fail('parse_error', `not a CSV header: ${this.garbage ?? ''}`);
      });
      return;
    }
    if (line === table.header.line) {
      this.flush();
      return;
    }
    if (this.batch.length === 0 && this.batchBad === 0) this.batchStart = this.samples === 0 ? this.spawnedAt : performance.now();
    const row = table.row(line);
    if (row === undefined) this.batchBad++;
    else {
      // A GPU seen twice means the next interval began without our noticing the end of the last.
      if (this.batchUuids.has(row.uuid)) {
        this.flush();
        this.batchStart = performance.now();
      }
      this.batch.push(row);
      this.batchUuids.add(row.uuid);
      if (row.count !== undefined) this.expected = row.count;
    }
    if (this.expected !== undefined && this.batch.length + this.batchBad >= this.expected) {
      this.flush();
      return;
    }
    // Without a usable `count` (or with one that overstates the rows), a quiet gap ends the sample.
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => this.flush(), Math.max(20, Math.min(this.options.intervalMs / 2, 500)));
    this.flushTimer.unref();
  }

  private flush(): void {
    this.clearFlush();
    if (this.batch.length === 0 && this.batchBad === 0) return;
    const rows = sortByIndex(this.batch);
    const bad = this.batchBad;
    const duration = performance.now() - this.batchStart;
    this.resetBatch();
    this.samples++;
    this.attempt = 0;
    this.armWatchdog(this.options.intervalMs + this.options.timeoutMs);
    this.events.sample(rows, bad, duration);
  }

  private resetBatch(): void {
    this.batch = [];
    this.batchUuids = new Set();
    this.batchBad = 0;
  }

  private armWatchdog(ms: number): void {
    this.clearWatchdog();
    this.watchdog = setTimeout(() => this.fail('timeout', `no sample from nvidia-smi for ${ms} ms`), ms);
    this.watchdog.unref();
  }

  private clearWatchdog(): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private clearFlush(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Kill the current child for `reason`; its exit then schedules the restart. */
  private fail(reason: FailureReason, detail: string): void {
    const child = this.child;
    if (child === undefined || this.killedFor !== undefined) return;
    this.killedFor = reason;
    this.clearWatchdog();
    this.clearFlush();
    this.events.failure(reason, detail, performance.now() - this.spawnedAt);
    void child.terminate(this.options.killGraceMs).then((exited) => {
      if (exited || this.child !== child) return;
      // Did not die even on SIGKILL: let go of it and try again later (spawn() checks `alive`).
      child.release();
      this.scheduleRestart(this.nextBackoff());
    });
  }

  private onExit(child: GroupProcess, code: number | undefined, spawnError: string | undefined): void {
    this.clearWatchdog();
    this.clearFlush();
    child.release();
    if (this.stopped) return;
    const elapsed = performance.now() - this.spawnedAt;
    if (code === undefined) {
      this.events.failure('spawn_error', spawnError ?? 'spawn failed', elapsed);
      return this.scheduleRestart(this.nextBackoff());
    }
    this.events.exited(code);
    if (this.killedFor !== undefined) return this.scheduleRestart(this.nextBackoff());
    // A sample cut short by the exit is not trusted.
    this.resetBatch();
    const detail = this.garbage ?? `nvidia-smi exited with ${code}`;
    if (code === EXIT_NO_DEVICES) {
      this.events.sample([], 0, elapsed);
      return this.scheduleRestart(this.options.intervalMs);
    }
    // Exit 2 also means an unknown field ("Field … is not a valid field to query"): polling would not help.
    if (code === EXIT_INVALID_ARGUMENT && this.samples === 0 && this.table === undefined && !/valid field/i.test(detail)) {
      this.stopped = true;
      return this.events.unsupported(detail);
    }
    // Exit 0 is never expected from a loop; after text that was not our CSV it is a parse error.
    const reason = code !== 0 ? reasonForExit(code) : this.table === undefined && this.garbage !== undefined ? 'parse_error' : 'exit_code';
    this.events.failure(reason, detail, elapsed);
    this.scheduleRestart(this.nextBackoff());
  }

  /** At most one restart pending, however many paths (exit, a kill that did not take) ask for it. */
  private scheduleRestart(ms: number): void {
    if (this.stopped || this.restartPending) return;
    this.restartPending = true;
    this.later(ms, () => this.spawn());
  }

  private nextBackoff(): number {
    const ms = Math.min(this.options.backoffMaxMs, this.options.backoffMinMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return ms;
  }
}
