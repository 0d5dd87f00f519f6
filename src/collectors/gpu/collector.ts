import type { Logger } from 'pino';
import type { Collector } from '../../exposition/registry.js';
import { RateLimitedLog } from '../../log/logger.js';
import { EXIT_NO_DEVICES, reasonForExit, type FailureReason } from './exit-codes.js';
import { APP_QUERY_FIELDS, GPU_QUERY_FIELDS } from './fields.js';
import { gpuCollectors } from './metrics.js';
import { Poller } from './poller.js';
import { runOnce, type GroupProcess, type RunOutcome } from './process-runner.js';
import { parseAppsCsv, parseGpuCsv, type GpuReading } from './readings.js';
import { GpuState } from './state.js';
import { GpuStream } from './streaming.js';
import { findExecutable } from './which.js';

export type GpuEnabled = 'auto' | 'on' | 'off';
export type GpuMode = 'stream' | 'poll';

/** Plain options (the sidecar maps its `gpu` config onto these). */
export interface GpuCollectorOptions {
  /** auto: off with one log line when nvidia-smi is missing; on: missing is a startup error. */
  readonly enabled: GpuEnabled;
  /** stream: one long-running `nvidia-smi -lms`; poll: one run per interval. */
  readonly mode: GpuMode;
  readonly intervalMs: number;
  /** Hard limit on a poll run, and on a stream's silence beyond one interval. */
  readonly timeoutMs: number;
  /** Also run --query-compute-apps each interval for GPU memory per process. */
  readonly processes: boolean;
  /** Name looked up on PATH, or a path. */
  readonly nvidiaSmiPath: string;
  readonly log: Logger;
  /** Environment for the PATH lookup and the child (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** SIGTERM → SIGKILL delay (default 2000 ms). */
  readonly killGraceMs?: number;
  /** First stream restart delay (default min(1000, interval)) and its cap (default max(60 s, interval)). */
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** A sample older than this is not exported (default 3 intervals). */
  readonly staleAfterMs?: number;
  /** Per-process series kept, largest first (default 64). */
  readonly maxProcesses?: number;
}

const FORMAT = '--format=csv,nounits';

/**
 * GPU metrics from nvidia-smi, beside the log pipeline: background runs write the latest sample
 * into GpuState, scrapes only read it (see ./metrics.ts).
 */
export class GpuCollector {
  readonly state: GpuState;
  /** The resolved nvidia-smi, or undefined when not found. */
  readonly binary: string | undefined;
  private mode: GpuMode;
  private stream: GpuStream | undefined;
  private poller: Poller | undefined;
  private appsPoller: Poller | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  /** A timed-out child that survived SIGKILL, per query: no new run while it lives. */
  private wedged: { gpu?: GroupProcess; apps?: GroupProcess } = {};
  private readonly problems: RateLimitedLog;
  private readonly env: NodeJS.ProcessEnv;
  private running = false;
  private announcedMissing = false;
  /** Aborted by stop(), so shutdown does not wait out a poll run's timeout. */
  private abort = new AbortController();

  constructor(private readonly options: GpuCollectorOptions) {
    this.env = options.env ?? process.env;
    this.mode = options.mode;
    this.state = new GpuState(options.staleAfterMs ?? 3 * options.intervalMs, options.maxProcesses ?? 64);
    this.binary = options.enabled === 'off' ? undefined : findExecutable(options.nvidiaSmiPath, this.env);
    this.problems = new RateLimitedLog(options.log, 60_000);
  }

  /** Whether this collector collects: not off, and nvidia-smi was found. */
  get active(): boolean {
    return this.binary !== undefined;
  }

  /** The families to register; none when inactive, so a GPU-less host exposes no GPU noise. */
  collectors(): Collector[] {
    return this.active ? gpuCollectors(this.state, this.options.processes) : [];
  }

  /** Starts the background runs and returns at once (the first sample arrives later). */
  async start(): Promise<void> {
    const { enabled, nvidiaSmiPath, log } = this.options;
    if (enabled === 'off' || this.running) return;
    if (this.binary === undefined) {
      const where = nvidiaSmiPath.includes('/') ? nvidiaSmiPath : `"${nvidiaSmiPath}" on PATH`;
      if (enabled === 'on') {
        throw new Error(`GPU metrics are required (gpu.enabled: on) but no executable nvidia-smi was found at ${where}; install the NVIDIA driver utilities, set gpu.nvidia_smi_path, or use --gpu auto`);
      }
      if (this.announcedMissing) return;
      this.announcedMissing = true;
      log.info({ nvidia_smi: nvidiaSmiPath }, `GPU metrics disabled: no nvidia-smi at ${where} (gpu.enabled: auto; set it to off to silence this, or on to require GPUs)`);
      return;
    }
    this.running = true;
    this.abort = new AbortController();
    if (this.mode === 'stream') this.startStream(this.binary);
    else this.startPolling(this.binary);
    if (this.options.processes) {
      const binary = this.binary;
      this.appsPoller = new Poller(this.options.intervalMs, () => this.pollApps(binary));
      this.appsPoller.start();
    }
  }

  /** Stops all runs and kills their children; bounded by the kill grace. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    if (this.staleTimer !== undefined) clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    await Promise.all([this.stream?.stop(), this.poller?.stop(), this.appsPoller?.stop()]);
  }

  /** Successful samples so far (tests, bench). */
  get sampleCount(): number {
    return this.state.samples;
  }

  private get killGraceMs(): number {
    return this.options.killGraceMs ?? 2000;
  }

  private startStream(binary: string): void {
    const { intervalMs, timeoutMs } = this.options;
    this.stream = new GpuStream(
      {
        file: binary,
        args: [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, FORMAT, '-lms', String(intervalMs)],
        env: this.env,
        intervalMs,
        timeoutMs,
        killGraceMs: this.killGraceMs,
        backoffMinMs: this.options.backoffMinMs ?? Math.min(1000, intervalMs),
        backoffMaxMs: this.options.backoffMaxMs ?? Math.max(60_000, intervalMs),
      },
      {
        sample: (rows, badRows, ms) => this.onSample(rows, badRows, ms),
        failure: (reason, detail, ms) => this.onFailure(reason, detail, ms),
        spawned: () => this.state.starts++,
        exited: (code) => (this.state.lastExitCode = code),
        unsupported: (detail) => {
          this.options.log.warn({ detail }, 'nvidia-smi rejected -lms (streaming); falling back to one run per interval');
          this.mode = 'poll';
          if (this.running) this.startPolling(binary);
        },
      },
    );
    this.stream.start();
  }

  private startPolling(binary: string): void {
    this.poller = new Poller(this.options.intervalMs, () => this.pollGpus(binary));
    this.poller.start();
  }

  private async pollGpus(binary: string): Promise<void> {
    const r = await this.run('gpu', binary, [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, FORMAT]);
    if (!this.running) return;
    if (r === undefined) return this.onFailure('timeout', 'previous nvidia-smi still running after SIGKILL', 0);
    if (r.kind !== 'exited') return this.onFailure(...failureOf(r));
    if (r.code === EXIT_NO_DEVICES) return this.onSample([], 0, r.durationMs);
    if (r.code !== 0) return this.onFailure(reasonForExit(r.code), firstLines(r.stdout + r.stderr), r.durationMs);
    const parsed = parseGpuCsv(r.stdout);
    if (parsed === undefined) return this.onFailure('parse_error', `not nvidia-smi CSV: ${firstLines(r.stdout)}`, r.durationMs);
    this.onSample(parsed.rows, parsed.badRows, r.durationMs);
  }

  private async pollApps(binary: string): Promise<void> {
    const r = await this.run('apps', binary, [`--query-compute-apps=${APP_QUERY_FIELDS.join(',')}`, FORMAT]);
    if (!this.running) return;
    const fail = (reason: FailureReason, detail: string) => {
      this.state.recordProcessFailure(reason);
      this.problems.warn(`apps:${reason}`, { reason, detail }, 'GPU process metrics unavailable: nvidia-smi --query-compute-apps failed');
    };
    if (r === undefined) return fail('timeout', 'previous nvidia-smi still running after SIGKILL');
    if (r.kind !== 'exited') return fail(failureOf(r)[0], failureOf(r)[1]);
    if (r.code === EXIT_NO_DEVICES) return this.state.recordProcesses([]);
    if (r.code !== 0) return fail(reasonForExit(r.code), firstLines(r.stdout + r.stderr));
    const parsed = parseAppsCsv(r.stdout);
    if (parsed === undefined) return fail('parse_error', `not nvidia-smi CSV: ${firstLines(r.stdout)}`);
    if (parsed.badRows > 0) this.state.processFailures.parse_error++;
    this.state.recordProcesses(parsed.rows);
  }

  /** One bounded run; undefined (and nothing started) while an earlier run of this query is wedged. */
  private async run(query: 'gpu' | 'apps', binary: string, args: string[]): Promise<RunOutcome | undefined> {
    if (this.wedged[query]?.alive === true) return undefined;
    this.wedged[query] = undefined;
    this.state.starts++;
    const r = await runOnce(binary, args, { timeoutMs: this.options.timeoutMs, killGraceMs: this.killGraceMs, env: this.env, signal: this.abort.signal });
    if (r.kind === 'exited') this.state.lastExitCode = r.code;
    if (r.kind === 'timeout' && r.process.alive) this.wedged[query] = r.process;
    return r;
  }

  private onSample(rows: GpuReading[], badRows: number, durationMs: number): void {
    if (rows.length === 0 && badRows > 0) return this.onFailure('parse_error', `${badRows} unreadable row(s) and none readable`, durationMs);
    const wasUp = this.state.recordSample(rows, durationMs);
    this.armStaleCheck();
    if (badRows > 0) {
      this.state.failures.parse_error++;
      this.warn('parse_error', `${badRows} row(s) with the wrong number of columns or no uuid/index were left out`);
    }
    if (!wasUp) this.options.log.info({ gpus: rows.length, mode: this.mode, interval_ms: this.options.intervalMs }, 'GPU metrics: reading nvidia-smi');
  }

  /**
   * One timer, pushed back by every sample, fires only when samples stop: it records the sample
   * going stale (counted once, logged). Scrapes judge freshness themselves; this is bookkeeping,
   * and costs no wakeup while samples keep coming.
   */
  private armStaleCheck(): void {
    if (!this.running) return;
    if (this.staleTimer !== undefined) {
      this.staleTimer.refresh();
      return;
    }
    this.staleTimer = setTimeout(() => {
      if (this.state.checkStale()) this.warn('stale', `no nvidia-smi sample for over ${this.state.staleAfterMs} ms`);
    }, this.state.staleAfterMs + 1);
    this.staleTimer.unref();
  }

  private onFailure(reason: FailureReason, detail: string, durationMs: number): void {
    this.state.recordFailure(reason, durationMs);
    this.warn(reason, detail);
  }

  private warn(reason: FailureReason, detail: string): void {
    this.problems.warn(reason, { reason, detail }, 'GPU metrics: nvidia-smi collection failed; per-GPU series are dropped until it recovers');
  }
}

function failureOf(r: Exclude<RunOutcome, { kind: 'exited' }>): [FailureReason, string, number] {
  switch (r.kind) {
    case 'timeout':
      return ['timeout', 'nvidia-smi did not finish in time and was killed', r.durationMs];
    case 'too_much_output':
      return ['parse_error', 'nvidia-smi printed more output than any GPU table; killed', r.durationMs];
    case 'spawn_error':
      return ['spawn_error', r.message, r.durationMs];
  }
}

/** nvidia-smi's message for a log line: the first two lines, cut short. */
function firstLines(text: string): string {
  return text.trim().split('\n').slice(0, 2).join(' / ').slice(0, 300);
}
