/**
 * Soak: the real CLI (`llmtail run`, its own process) follows a log with a state directory while a
 * writer process appends simulated traffic at a fixed rate and rotates the file on a schedule, and
 * /metrics is scraped on an interval, for hours. Every scrape is a sample of the sidecar's own
 * process metrics (RSS, heap, CPU seconds, event-loop delay) and its line counters. At the end the
 * writer stops, the sidecar catches up, and its counters must equal what was written — by result
 * and in llmtail_requests_total — and survive a restart unchanged. Results: samples.csv, an HTML
 * page of SVG plots and summary.json in a results directory, and a summary on stdout.
 *
 *   npm run soak                                   # 4 hours, 1,000 lines/s, rename every 60 s
 *   SOAK_SECONDS=600 SOAK_ROTATION=copytruncate npm run soak
 *
 * The short version runs in the test suite (test/soak/soak.test.ts) through runSoak().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseExposition, type Exposition } from './prometheus-text.js';
import { writeSoakResults, summarize, formatSummary, type SoakSummary } from './soak-report.js';
import type { Rotation, WriterCounts, WriterMessage, ParentMessage, WriterOptions } from './soak-writer.js';

export interface SoakOptions {
  seconds: number;
  ratePerSecond: number;
  rotateEveryMs: number;
  rotation: Rotation;
  scrapeIntervalMs: number;
  /** Where samples.csv, report.html and summary.json go (created). */
  resultsDir: string;
  /** Extra lines for the sidecar's YAML config. */
  sidecarConfig?: string[];
  /** NODE_OPTIONS for the sidecar only (e.g. --max-semi-space-size=16); default: inherited. */
  sidecarNodeOptions?: string;
  seed?: number;
  /** How long the sidecar may take to catch up once the writer stopped. */
  catchUpTimeoutMs?: number;
  /** Ends the writing phase early (Ctrl-C); the end checks still run. */
  signal?: AbortSignal;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

/** One scrape of the sidecar. */
export interface SoakSample {
  /** Unix seconds. */
  t: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** V8's whole heap, and its young generation: RSS follows these, not heap used. */
  heapTotalBytes: number;
  youngGenerationBytes: number;
  cpuSeconds: number;
  /** CPU use since the previous sample, percent of one core. */
  cpuPercent: number;
  /** Event-loop delay p99 since the previous scrape (see eventLoopDelay). */
  eventLoopP99Seconds: number;
  /** The worst single delay sampled since the previous scrape. */
  eventLoopMaxSeconds: number;
  linesTotal: number;
  /** Lines counted per second since the previous sample. */
  linesPerSecond: number;
  writerLines: number;
  scrapeMs: number;
  rotations: number;
}

export interface CounterCheck {
  written: WriterCounts;
  /** llmtail_lines_total by result, and llmtail_requests_total summed, after catching up. */
  lines: Record<string, number>;
  requestsTotal: number;
  bytesLost: number;
  /** Rotations and truncations the sidecar saw, after catching up. */
  rotationsSeen: number;
  /** Every comparison that held, or the ones that did not. */
  equal: boolean;
  mismatches: string[];
  /** The same counters after a restart from the checkpoint (must not move). */
  afterRestart: { linesTotal: number; requestsTotal: number } | undefined;
  catchUpMs: number;
}

export interface SoakResult {
  options: Omit<SoakOptions, 'signal' | 'progress'>;
  startedAt: number;
  samples: SoakSample[];
  scrapeFailures: number;
  check: CounterCheck;
  sidecarExit: { code: number | null; signal: string | null; diedEarly: boolean };
  summary: SoakSummary;
  ok: boolean;
}

/** The repository root, whether this runs as bench/soak.ts (tests) or dist/bench/soak.js. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('soak: cannot find the repository root');
}

const ROOT = repoRoot();
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const WRITER = path.join(ROOT, 'dist/bench/soak-writer.js');

interface Sidecar {
  proc: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startSidecar(args: string[], logFile: string, nodeOptions: string | undefined): Promise<Sidecar> {
  for (const file of [CLI, WRITER]) if (!existsSync(file)) throw new Error(`soak: ${path.relative(ROOT, file)} is missing: run \`npm run build\` first`);
  const env = nodeOptions === undefined ? process.env : { ...process.env, NODE_OPTIONS: nodeOptions };
  const proc = spawn(process.execPath, [CLI, 'run', '--web.listen-address', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  const log = createWriteStream(logFile, { flags: 'a' });
  proc.stderr?.pipe(log);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  let head = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`soak: the sidecar did not start in 30 s:\n${head}`)), 30_000);
    const onData = (d: Buffer) => {
      head += d.toString();
      const m = /"msg":"llmtail started"/.test(head) ? /"port":(\d+)/.exec(head) : null;
      if (m === null) return;
      clearTimeout(timer);
      proc.stderr?.off('data', onData);
      head = '';
      resolve(Number(m[1]));
    };
    proc.stderr?.on('data', onData);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`soak: the sidecar exited with ${code} before starting:\n${head}`));
    });
  });
  return { proc, port, exited };
}

async function stopSidecar(s: Sidecar, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill(signal);
  const timer = setTimeout(() => s.proc.kill('SIGKILL'), 15_000);
  const r = await s.exited;
  clearTimeout(timer);
  return r;
}

async function scrape(port: number): Promise<{ metrics: Exposition; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  const text = await res.text();
  return { metrics: parseExposition(text), ms: performance.now() - t0 };
}

interface Writer {
  proc: ChildProcess;
  latest: WriterCounts | undefined;
  /** Set when the writer process is gone (before it was asked to stop, that is a failure). */
  exited: boolean;
  done: Promise<WriterCounts>;
  send: (m: ParentMessage) => void;
}

function startWriter(options: WriterOptions, onGate: (counts: WriterCounts) => Promise<void>): Writer {
  const proc = spawn(process.execPath, [WRITER, JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const writer: Writer = {
    proc,
    latest: undefined,
    exited: false,
    done: new Promise<WriterCounts>((resolve, reject) => {
      let final: WriterCounts | undefined;
      proc.on('message', (m: WriterMessage) => {
        writer.latest = m.counts;
        if (m.type === 'done') final = m.counts;
        if (m.type === 'gate') void onGate(m.counts).then(() => writer.send({ type: 'go' }));
      });
      proc.once('exit', (code) => {
        writer.exited = true;
        if (final !== undefined) resolve(final);
        else reject(new Error(`soak: the writer exited with ${code} before reporting`));
      });
    }),
    send: (m) => {
      if (proc.connected) proc.send(m);
    },
  };
  // Awaited at the end; a writer dying early must not be an unhandled rejection meanwhile.
  writer.done.catch(() => undefined);
  return writer;
}

/** Wait `ms`, or less if `signal` aborts (its listener is removed either way: hours of sleeps). */
/**
 * The sidecar's event-loop histogram (perf_hooks.monitorEventLoopDelay, exported by the metrics
 * library as nodejs_eventloop_lag_*_seconds and reset at every scrape) samples with a 500 ms
 * timer (src/exposition/registry.ts) and records the time between two firings of that timer, so
 * an idle loop reads 0.5 s: the delay is what lies beyond it.
 */
const EVENT_LOOP_RESOLUTION_SECONDS = 0.5;
export const eventLoopDelay = (recorded: number | undefined): number => Math.max(0, (recorded ?? 0) - EVENT_LOOP_RESOLUTION_SECONDS);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** The counters the end check compares, from one scrape. */
function counted(m: Exposition) {
  const lines: Record<string, number> = {};
  for (const s of m.samples) if (s.name === 'llmtail_lines_total') lines[s.labels.result ?? ''] = s.value;
  return {
    lines,
    linesTotal: m.sum('llmtail_lines_total'),
    requestsTotal: m.sum('llmtail_requests_total'),
    bytesLost: m.get('llmtail_file_bytes_lost_total') ?? 0,
    rotations: (m.get('llmtail_file_rotations_total') ?? 0) + (m.get('llmtail_file_truncations_total') ?? 0),
    idle: m.sum('llmtail_file_lag_bytes') === 0 && (m.get('llmtail_files_draining') ?? 0) === 0,
  };
}

/** Every line the writer wrote must be counted once: by result, and as requests. */
export function compareCounters(written: WriterCounts, c: ReturnType<typeof counted>): string[] {
  const problems: string[] = [];
  const expect = (what: string, got: number, want: number) => {
    if (got !== want) problems.push(`${what}: counted ${got}, written ${want} (${got > want ? '+' : ''}${got - want})`);
  };
  expect('llmtail_lines_total (all results)', c.linesTotal, written.linesWritten);
  expect('llmtail_lines_total{result="ok"}', c.lines.ok ?? 0, written.requestsWritten);
  // The simulator's malformed lines are invalid JSON, JSON that is not an object, or empty.
  expect('llmtail_lines_total{result=~"invalid|empty"}', (c.lines.invalid ?? 0) + (c.lines.empty ?? 0), written.malformedWritten);
  expect('llmtail_lines_total{result="unmapped"}', c.lines.unmapped ?? 0, 0);
  expect('sum(llmtail_requests_total)', c.requestsTotal, written.requestsWritten);
  if (c.bytesLost !== 0) problems.push(`llmtail_file_bytes_lost_total is ${c.bytesLost}`);
  return problems;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const progress = options.progress ?? (() => undefined);
  mkdirSync(options.resultsDir, { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), 'llmtail-soak-'));
  const logPath = path.join(work, 'app.jsonl');
  writeFileSync(logPath, '');
  const configPath = path.join(work, 'config.yaml');
  writeFileSync(configPath, `${(options.sidecarConfig ?? []).join('\n')}\n`);
  const sidecarLog = path.join(options.resultsDir, 'sidecar.log');
  const args = ['--config', configPath, '--input', logPath, '--state-dir', path.join(work, 'state')];
  const startedAt = Date.now() / 1000;
  const samples: SoakSample[] = [];
  let scrapeFailures = 0;
  let sidecar = await startSidecar(args, sidecarLog, options.sidecarNodeOptions);
  let diedEarly = false;
  let stopping = false;
  void sidecar.exited.then(() => (diedEarly = !stopping));

  try {
    // copytruncate: the writer waits while the sidecar catches up, so the truncation loses nothing.
    const gate = async (at: WriterCounts) => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !diedEarly) {
        try {
          const c = counted((await scrape(sidecar.port)).metrics);
          if (c.linesTotal >= at.linesWritten && c.idle) return;
        } catch {
          // counted as a failure by the sampling loop; here just retry
        }
        await sleep(100);
      }
    };
    const writer = startWriter(
      { path: logPath, ratePerSecond: options.ratePerSecond, rotateEveryMs: options.rotateEveryMs, rotation: options.rotation, seed: options.seed ?? 1 },
      gate,
    );
    const end = Date.now() + options.seconds * 1000;
    let nextProgress = Date.now() + 60_000;
    let prev: SoakSample | undefined;
    while (Date.now() < end && !diedEarly && !writer.exited && options.signal?.aborted !== true) {
      const due = Date.now() + options.scrapeIntervalMs;
      try {
        const { metrics, ms } = await scrape(sidecar.port);
        const t = Date.now() / 1000;
        const cpuSeconds = metrics.get('process_cpu_seconds_total') ?? 0;
        const linesTotal = metrics.sum('llmtail_lines_total');
        const dt = prev === undefined ? 0 : t - prev.t;
        const sample: SoakSample = {
          t,
          rssBytes: metrics.get('process_resident_memory_bytes') ?? 0,
          heapUsedBytes: metrics.get('nodejs_heap_size_used_bytes') ?? 0,
          heapTotalBytes: metrics.get('nodejs_heap_size_total_bytes') ?? 0,
          youngGenerationBytes: metrics.get('nodejs_heap_space_size_total_bytes', { space: 'new' }) ?? 0,
          cpuSeconds,
          cpuPercent: prev === undefined || dt <= 0 ? 0 : ((cpuSeconds - prev.cpuSeconds) / dt) * 100,
          eventLoopP99Seconds: eventLoopDelay(metrics.get('nodejs_eventloop_lag_p99_seconds')),
          eventLoopMaxSeconds: eventLoopDelay(metrics.get('nodejs_eventloop_lag_max_seconds')),
          linesTotal,
          linesPerSecond: prev === undefined || dt <= 0 ? 0 : (linesTotal - prev.linesTotal) / dt,
          writerLines: writer.latest?.linesWritten ?? 0,
          scrapeMs: ms,
          rotations: (metrics.get('llmtail_file_rotations_total') ?? 0) + (metrics.get('llmtail_file_truncations_total') ?? 0),
        };
        samples.push(sample);
        prev = sample;
      } catch {
        scrapeFailures++;
      }
      if (Date.now() >= nextProgress) {
        nextProgress += 60_000;
        const s = samples.at(-1);
        if (s !== undefined) {
          progress(
            `soak: ${Math.round(s.t - startedAt)} s, ${s.linesTotal} lines counted (${Math.round(s.linesPerSecond)}/s), RSS ${(s.rssBytes / 2 ** 20).toFixed(1)} MiB, heap ${(s.heapUsedBytes / 2 ** 20).toFixed(1)} MiB, CPU ${s.cpuPercent.toFixed(1)} %`,
          );
        }
      }
      await sleep(Math.max(0, due - Date.now()), options.signal);
    }

    writer.send({ type: 'stop' });
    const written = await writer.done;
    progress(`soak: writer stopped after ${written.linesWritten} lines; waiting for the sidecar to catch up`);

    // Caught up: every written line counted (or more, which the comparison reports), no lag, nothing draining.
    const catchUpStart = Date.now();
    const catchUpDeadline = catchUpStart + (options.catchUpTimeoutMs ?? 120_000);
    let last: ReturnType<typeof counted> | undefined;
    while (!diedEarly && Date.now() < catchUpDeadline) {
      try {
        last = counted((await scrape(sidecar.port)).metrics);
        if (last.linesTotal >= written.linesWritten && last.idle) break;
      } catch {
        scrapeFailures++;
      }
      await sleep(250);
    }
    const catchUpMs = Date.now() - catchUpStart;
    const mismatches = last === undefined ? ['the sidecar never answered after the writer stopped'] : compareCounters(written, last);
    if (diedEarly) mismatches.push('the sidecar exited during the soak');
    stopping = true;
    const stopped = diedEarly ? await sidecar.exited : await stopSidecar(sidecar);
    if (!diedEarly && stopped.code !== 0) mismatches.push(`the sidecar exited with ${stopped.code ?? stopped.signal} on SIGTERM`);

    // A restart from the checkpoint must show the same counters: nothing lost, nothing counted twice.
    let afterRestart: CounterCheck['afterRestart'];
    if (!diedEarly && last !== undefined) {
      sidecar = await startSidecar(args, sidecarLog, options.sidecarNodeOptions);
      try {
        await sleep(1500);
        const again = counted((await scrape(sidecar.port)).metrics);
        afterRestart = { linesTotal: again.linesTotal, requestsTotal: again.requestsTotal };
        if (again.linesTotal !== last.linesTotal || again.requestsTotal !== last.requestsTotal) {
          mismatches.push(`after a restart: lines ${again.linesTotal} (was ${last.linesTotal}), requests ${again.requestsTotal} (was ${last.requestsTotal})`);
        }
      } finally {
        await stopSidecar(sidecar);
      }
    }

    const check: CounterCheck = {
      written,
      lines: last?.lines ?? {},
      requestsTotal: last?.requestsTotal ?? 0,
      bytesLost: last?.bytesLost ?? 0,
      rotationsSeen: last?.rotations ?? 0,
      equal: mismatches.length === 0,
      mismatches,
      afterRestart,
      catchUpMs,
    };
    const { signal: _signal, progress: _progress, ...recorded } = options;
    const result: SoakResult = {
      options: recorded,
      startedAt,
      samples,
      scrapeFailures,
      check,
      sidecarExit: { code: stopped.code, signal: stopped.signal, diedEarly },
      summary: summarize(samples, check, startedAt),
      ok: check.equal,
    };
    writeSoakResults(options.resultsDir, result);
    return result;
  } finally {
    if (sidecar.proc.exitCode === null && sidecar.proc.signalCode === null) await stopSidecar(sidecar, 'SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return n;
}

/** The results directory under bench/results/, kept out of git by its own .gitignore. */
function defaultResultsDir(): string {
  const base = path.join(ROOT, 'bench', 'results');
  mkdirSync(base, { recursive: true });
  const ignore = path.join(base, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '# soak and benchmark output: never committed\n*\n');
  return path.join(base, `soak-${new Date().toISOString().replace(/[:.]/g, '').replace('T', '-').slice(0, 17)}`);
}

async function main(): Promise<number> {
  const rotation = process.env.SOAK_ROTATION ?? 'rename';
  if (rotation !== 'rename' && rotation !== 'copytruncate') throw new Error(`SOAK_ROTATION=${rotation}: expected rename or copytruncate`);
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stdout.write('soak: interrupted; stopping the writer and checking the counters\n');
    abort.abort();
  });
  const options: SoakOptions = {
    seconds: envNumber('SOAK_SECONDS', 4 * 3600),
    ratePerSecond: envNumber('SOAK_RATE', 1000),
    rotateEveryMs: envNumber('SOAK_ROTATE_SECONDS', 60) * 1000,
    rotation,
    scrapeIntervalMs: envNumber('SOAK_SCRAPE_SECONDS', 5) * 1000,
    resultsDir: process.env.SOAK_RESULTS_DIR ?? defaultResultsDir(),
    sidecarNodeOptions: process.env.SOAK_SIDECAR_NODE_OPTIONS,
    signal: abort.signal,
    progress: (line) => process.stdout.write(`${line}\n`),
  };
  process.stdout.write(
    `soak: ${options.seconds} s at ${options.ratePerSecond} lines/s, ${options.rotation} every ${options.rotateEveryMs / 1000} s, a scrape every ${options.scrapeIntervalMs / 1000} s${options.sidecarNodeOptions === undefined ? '' : `, sidecar NODE_OPTIONS=${options.sidecarNodeOptions}`}; results in ${options.resultsDir}\n`,
  );
  const result = await runSoak(options);
  process.stdout.write(formatSummary(result));
  return result.ok ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
