import { FAILURE_REASONS, type FailureReason } from './exit-codes.js';
import type { GpuReading, ProcessReading } from './readings.js';

const zeroes = (): Record<FailureReason, number> =>
  Object.fromEntries(FAILURE_REASONS.map((r) => [r, 0])) as Record<FailureReason, number>;

/**
 * The latest sample and the collector's health, written by the background runs and only read by
 * scrapes. Freshness is judged at read time, so a scrape never exports an old sample as current
 * even if the timers that record staleness are late.
 */
export class GpuState {
  gpus: GpuReading[] = [];
  sampledAt: number | undefined;
  /** Why the last attempt failed (or the sample went stale); undefined while healthy. */
  error: FailureReason | undefined;
  lastSuccessAt: number | undefined;
  lastDurationMs: number | undefined;
  lastExitCode: number | undefined;
  starts = 0;
  samples = 0;
  readonly failures = zeroes();

  processes: ProcessReading[] = [];
  /** Compute processes per GPU uuid, before the top-N cut. */
  processCounts = new Map<string, number>();
  processesAt: number | undefined;
  processError: FailureReason | undefined;
  readonly processFailures = zeroes();

  constructor(
    readonly staleAfterMs: number,
    private readonly maxProcesses: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The GPUs of the latest sample if it is current, else undefined (export nothing per GPU). */
  fresh(): readonly GpuReading[] | undefined {
    if (this.error !== undefined || this.sampledAt === undefined || this.now() - this.sampledAt > this.staleAfterMs) return undefined;
    return this.gpus;
  }

  freshProcesses(): readonly ProcessReading[] | undefined {
    if (this.processError !== undefined || this.processesAt === undefined || this.now() - this.processesAt > this.staleAfterMs) return undefined;
    return this.processes;
  }

  /** Records a good sample; returns whether the collector was already up before it (for recovery logs). */
  recordSample(gpus: GpuReading[], durationMs: number): boolean {
    const wasUp = this.fresh() !== undefined;
    const t = this.now();
    this.gpus = gpus;
    this.sampledAt = t;
    this.lastSuccessAt = t;
    this.lastDurationMs = durationMs;
    this.error = undefined;
    this.samples++;
    return wasUp;
  }

  recordFailure(reason: FailureReason, durationMs: number): void {
    this.failures[reason]++;
    this.error = reason;
    this.lastDurationMs = durationMs;
    // Values from before a failure are not evidence of anything now.
    this.gpus = [];
  }

  /** Marks an old sample stale once (counted as a failure with reason stale); true on that transition. */
  checkStale(): boolean {
    if (this.error !== undefined || this.sampledAt === undefined || this.now() - this.sampledAt <= this.staleAfterMs) return false;
    this.recordFailure('stale', this.lastDurationMs ?? 0);
    return true;
  }

  /** Keeps the `maxProcesses` largest by memory, so a fork bomb cannot blow up the series count. */
  recordProcesses(processes: ProcessReading[]): void {
    const counts = new Map<string, number>();
    for (const p of processes) counts.set(p.uuid, (counts.get(p.uuid) ?? 0) + 1);
    this.processCounts = counts;
    this.processes = processes
      .sort((a, b) => (b.bytes ?? -1) - (a.bytes ?? -1) || Number(a.pid) - Number(b.pid))
      .slice(0, this.maxProcesses);
    this.processesAt = this.now();
    this.processError = undefined;
  }

  recordProcessFailure(reason: FailureReason): void {
    this.processFailures[reason]++;
    this.processError = reason;
    this.processes = [];
    this.processCounts = new Map();
  }
}
