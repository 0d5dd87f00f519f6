/**
 * `npm run bench`: throughput and cost figures from one run on this machine. Ratios between
 * figures taken in the same run are what to compare across machines; absolute numbers are noisy
 * on a shared host. Nothing here is asserted: it prints, and writes bench/results.json.
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { configSchema } from '../src/config/schema.js';
import { createLogger } from '../src/log/logger.js';
import { Sidecar } from '../src/sidecar.js';
import { generate, type Shape } from '../src/simulator/index.js';
import { replayFile } from '../src/sources/file-replay.js';
import { footprintBench, formatFootprint, imageNodeOptions } from './footprint.js';
import { formatGpuBench, gpuBench } from './gpu.js';
import { formatOtlpBench, otlpBench } from './otlp.js';
import { idleCpu, writeToMetricsLatency } from './tailing.js';
import { readAhead, readBuffers } from '../src/sources/read-ahead.js';
import { formatHtml } from '../src/report/format/html.js';
import { formatTable } from '../src/report/format/table.js';
import { DEFAULT_EXACT_VALUE_LIMIT, runReport } from '../src/report/run-report.js';

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const FOOTPRINT_RATES = (process.env.FOOTPRINT_RATES ?? '100,1000,5000').split(',').map(Number);
const FOOTPRINT_SECONDS = Number(process.env.FOOTPRINT_SECONDS ?? 30);
const SHAPE = (process.env.BENCH_SHAPE ?? 'mixed') as Shape | 'mixed';
/**
 * BENCH_ONLY=presets runs only the per-preset section (real server shapes); BENCH_ONLY=replay only
 * the simulated-corpus rounds (baseline, replay, report) and the replay's memory. Not the whole bench.
 */
const ONLY = process.env.BENCH_ONLY;

/** The real servers' example logs, per preset (test/fixtures/servers/, from the study). */
const SERVER_FIXTURES: Record<string, string[]> = {
  sglang: ['sglang-request-metrics.jsonl', 'sglang-request-metrics-older.jsonl'],
  tgi: ['tgi-json-output.jsonl'],
  litellm: ['litellm-standard-logging-payload.jsonl'],
  nginx: ['nginx-json-access.jsonl'],
  'envoy-ai-gateway': ['envoy-ai-gateway-access.jsonl'],
};

interface PresetFigures {
  bytes_per_line: number;
  baseline_lines_per_second: number;
  replay_lines_per_second: number;
  ratio: number;
  core_ratio: number;
}

/**
 * Replay throughput per real-server preset against the read + split + JSON.parse floor over the
 * same file: LINES lines cycling through that server's example lines, replayed with the preset
 * named (the default configuration otherwise, anomaly signals included).
 */
async function presetBench(dir: string): Promise<Record<string, PresetFigures>> {
  const out: Record<string, PresetFigures> = {};
  for (const [preset, files] of Object.entries(SERVER_FIXTURES)) {
    const lines = files.flatMap((f) => readFileSync(new URL(`../../test/fixtures/servers/${f}`, import.meta.url), 'utf8').split('\n').filter((l) => l.trim() !== ''));
    const file = path.join(dir, `${preset}.jsonl`);
    const block = `${lines.join('\n')}\n`;
    // At most ~100 MB per file: LiteLLM's payload is ~3.7 kB a line.
    const copies = Math.max(1, Math.ceil(Math.min(LINES, 100e6 / (block.length / lines.length)) / lines.length));
    writeFileSync(file, block.repeat(copies));
    const total = copies * lines.length;
    let best = { base: Infinity, replay: Infinity, core: Infinity };
    for (let round = 0; round < ROUNDS; round++) {
      const b = await baseline(file);
      const r = await replay(file, false, preset);
      const c = await replay(file, true, preset);
      const ok = r.sidecar.pipeline.stats.results[0];
      if (b.lines !== total || r.lines !== total || ok !== total) throw new Error(`${preset}: ${total} lines written, baseline ${b.lines}, replay ${r.lines}, requests ${ok}`);
      best = { base: Math.min(best.base, b.seconds), replay: Math.min(best.replay, r.seconds), core: Math.min(best.core, c.seconds) };
    }
    out[preset] = {
      bytes_per_line: Math.round(block.length / lines.length),
      baseline_lines_per_second: Math.round(total / best.base),
      replay_lines_per_second: Math.round(total / best.replay),
      ratio: Number((best.base / best.replay).toFixed(3)),
      core_ratio: Number((best.base / best.core).toFixed(3)),
    };
    process.stdout.write(`  ${preset.padEnd(17)} ${fmt(total)} lines (~${out[preset].bytes_per_line} B each): baseline ${fmt(total / best.base)} lines/s, replay ${fmt(total / best.replay)} lines/s, ratio ${out[preset].ratio} (without anomaly signals ${out[preset].core_ratio})\n`);
    rmSync(file);
  }
  return out;
}

async function writeFixture(file: string): Promise<void> {
  const out = createWriteStream(file);
  let batch = '';
  for (const { line } of generate({ lines: LINES, shape: SHAPE, ratePerSecond: 200, seed: 42, malformedFraction: 0.001 })) {
    batch += `${line}\n`;
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.end(batch);
  await once(out, 'finish');
}

/**
 * The floor: the same reader (1 MiB chunks, next read in flight) and the same split on \n, then
 * only JSON.parse per line. The difference to replay is exactly the per-line path.
 */
async function baseline(file: string): Promise<{ lines: number; seconds: number }> {
  const t0 = performance.now();
  let lines = 0;
  let carry: Buffer | undefined;
  const handle = await open(file, 'r');
  await readAhead(handle, 0, readBuffers(1 << 20), (chunk) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      let text: string;
      if (carry !== undefined) {
        text = Buffer.concat([carry, chunk.subarray(start, nl)]).toString('utf8');
        carry = undefined;
      } else {
        text = chunk.toString('utf8', start, nl);
      }
      try {
        JSON.parse(text);
      } catch {
        // malformed lines cost the same to find
      }
      lines++;
      start = nl + 1;
    }
    if (start < chunk.length) carry = Buffer.from(chunk.subarray(start));
  });
  await handle.close();
  return { lines, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The real thing: the replay path (reader → splitter → decoder → consumers), with the default
 * configuration — or, with `core`, without the anomaly signals (the request metrics alone).
 */
async function replay(file: string, core = false, preset?: string): Promise<{ lines: number; seconds: number; sidecar: Sidecar }> {
  const config = configSchema.parse({ ...(core ? { anomaly: { enabled: false } } : {}), ...(preset !== undefined ? { preset } : {}) });
  const sidecar = new Sidecar(config, createLogger('error', 'json'), { processMetrics: false, gpu: false, timing: 'replay' });
  const t0 = performance.now();
  await replayFile(file, sidecar.pipeline);
  const seconds = (performance.now() - t0) / 1000;
  return { lines: sidecar.pipeline.stats.total(), seconds, sidecar };
}

/**
 * `llmtail report` over the file: the same reader and pipeline into the report aggregate (exact
 * percentiles: every value kept), then the report built (sorts, templates) and rendered as a table
 * and as HTML. `renderSeconds` is the rendering alone.
 */
async function report(file: string): Promise<{ lines: number; seconds: number; renderSeconds: number; requests: number; exact: boolean }> {
  const config = configSchema.parse({});
  const t0 = performance.now();
  const r = await runReport({ inputs: [file], config, exactValueLimit: DEFAULT_EXACT_VALUE_LIMIT, progress: 'never', progressStream: process.stderr, generator: 'bench' });
  const built = performance.now();
  formatTable(r, { byModel: true });
  formatHtml(r, { byModel: true });
  const seconds = (performance.now() - t0) / 1000;
  return { lines: r.lines.total, seconds, renderSeconds: seconds - (built - t0) / 1000, requests: r.overall.requests, exact: r.percentiles.exact };
}

/**
 * Memory of a replay alone: a fresh process that replays the file and reports its RSS at the end
 * and its peak (this benchmark process holds the generator and other runs, so its own RSS is not
 * the sidecar's).
 */
function replayMemory(file: string, nodeOptions = ''): { rss: number; maxRss: number } {
  const sidecar = new URL('../src/sidecar.js', import.meta.url).href;
  const replay = new URL('../src/sources/file-replay.js', import.meta.url).href;
  const schema = new URL('../src/config/schema.js', import.meta.url).href;
  const logger = new URL('../src/log/logger.js', import.meta.url).href;
  const script = `
    const { Sidecar } = await import(${JSON.stringify(sidecar)});
    const { replayFile } = await import(${JSON.stringify(replay)});
    const { configSchema } = await import(${JSON.stringify(schema)});
    const { createLogger } = await import(${JSON.stringify(logger)});
    const s = new Sidecar(configSchema.parse({}), createLogger('error', 'json'), { processMetrics: false, gpu: false, timing: 'replay' });
    await replayFile(${JSON.stringify(file)}, s.pipeline);
    await s.registry.render(false);
    process.stdout.write(JSON.stringify({ rss: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024 }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: nodeOptions } });
  return JSON.parse(out) as { rss: number; maxRss: number };
}

/** Render time of /metrics with about `target` series in the exposition. */
async function renderAtSeries(target: number): Promise<{ series: number; ms: number; openMetricsMs: number }> {
  const config = configSchema.parse({ labels: { max_values: 100_000 } });
  const sidecar = new Sidecar(config, createLogger('error', 'json'), { processMetrics: false, gpu: false, timing: 'replay' });
  const splitter = sidecar.pipeline.splitter();
  let series = 0;
  for (let model = 0; series < target; model++) {
    const lines = ['success', 'error'].map(
      (status) =>
        `{"timestamp":"2025-04-05T10:23:45Z","request_id":"r${model}","model":"model-${model}","input_tokens":1240,"output_tokens":320,"total_time_ms":1876,"queue_time_ms":120,"inference_time_ms":1756,"ttft_ms":200,"status":"${status}"}\n`,
    );
    splitter.push(Buffer.from(lines.join('')));
    series = countSeries(await sidecar.registry.render(false));
  }
  const times: number[] = [];
  const omTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    let t = performance.now();
    await sidecar.registry.render(false);
    times.push(performance.now() - t);
    t = performance.now();
    await sidecar.registry.render(true);
    omTimes.push(performance.now() - t);
  }
  return { series, ms: median(times), openMetricsMs: median(omTimes) };
}

function countSeries(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line !== '' && !line.startsWith('#')) n++;
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'llmtail-bench-'));
  const file = path.join(dir, 'requests.jsonl');
  try {
    let presets: Record<string, PresetFigures> = {};
    if (ONLY !== 'replay') {
      process.stdout.write(`replay per real-server preset (up to ${fmt(LINES)} lines or ~100 MB each, best of ${ROUNDS}):\n`);
      presets = await presetBench(dir);
    }
    if (ONLY === 'presets') {
      process.stdout.write(`${JSON.stringify({ presets })}\n`);
      return;
    }
    process.stdout.write(`generating ${fmt(LINES)} simulated lines (mixed presets, 0.1 % malformed)…\n`);
    await writeFixture(file);
    const bytes = statSync(file).size;

    // Interleave the two so drift in machine load hits both; keep each one's best round.
    let best = { base: Infinity, replay: Infinity, core: Infinity, report: Infinity };
    let replayed: Awaited<ReturnType<typeof replay>> | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const b = await baseline(file);
      const r = await replay(file);
      const c = await replay(file, true);
      const rep = await report(file);
      if (b.lines !== LINES || r.lines !== LINES || rep.lines !== LINES) throw new Error(`line count mismatch: baseline ${b.lines}, replay ${r.lines}, report ${rep.lines}, written ${LINES}`);
      best = { base: Math.min(best.base, b.seconds), replay: Math.min(best.replay, r.seconds), core: Math.min(best.core, c.seconds), report: Math.min(best.report, rep.seconds) };
      replayed = r;
      process.stdout.write(
        `  round ${round + 1}: baseline ${b.seconds.toFixed(2)} s, replay ${r.seconds.toFixed(2)} s, replay without anomaly signals ${c.seconds.toFixed(2)} s, report ${rep.seconds.toFixed(2)} s (rendering ${rep.renderSeconds.toFixed(3)} s)\n`,
      );
    }
    const requests = (replayed as NonNullable<typeof replayed>).sidecar.requestMetrics.series.reduce((a, s) => a + s.requests, 0);
    const baseLps = LINES / best.base;
    const replayLps = LINES / best.replay;
    const coreLps = LINES / best.core;
    const reportLps = LINES / best.report;
    const ratio = (lps: number) => Number((lps / baseLps).toFixed(3));
    const ratios = { replay: ratio(replayLps), core: ratio(coreLps), report: ratio(reportLps) };
    const memory = replayMemory(file);
    const imageOptions = imageNodeOptions();
    const imageMemory = replayMemory(file, imageOptions);
    const replayLines = [
      '',
      `file: ${fmt(LINES)} lines, ${(bytes / 2 ** 20).toFixed(1)} MiB; requests counted: ${fmt(requests)}`,
      `read + split + JSON.parse:  ${fmt(baseLps)} lines/s`,
      `replay (full pipeline):     ${fmt(replayLps)} lines/s`,
      `ratio replay / baseline:    ${ratios.replay}   (target >= 0.75)`,
      `  without anomaly signals:  ${fmt(coreLps)} lines/s, ratio ${ratios.core} (request metrics alone)`,
      `report (read, exact percentiles, table + html): ${fmt(reportLps)} lines/s, ratio ${ratios.report} to the baseline`,
    ];
    const memoryLine = [
      `RSS of a replay process:    ${(memory.rss / 2 ** 20).toFixed(0)} MiB at the end, ${(memory.maxRss / 2 ** 20).toFixed(0)} MiB peak`,
      `  with the image's NODE_OPTIONS=${imageOptions}: ${(imageMemory.rss / 2 ** 20).toFixed(0)} MiB at the end, ${(imageMemory.maxRss / 2 ** 20).toFixed(0)} MiB peak`,
    ].join('\n');
    if (ONLY === 'replay') {
      process.stdout.write(`${[...replayLines, memoryLine].join('\n')}\n`);
      return;
    }
    const render = await renderAtSeries(10_000);
    process.stdout.write('measuring write → /metrics latency (1,000 lines at 100 lines/s)…\n');
    const latency = await writeToMetricsLatency(dir);
    // With checkpoints every scrape first writes one (fsync), so polling scrapes measure that too.
    const latencyCheckpointed = await writeToMetricsLatency(dir, ['--state-dir', path.join(dir, 'state')]);
    process.stdout.write('measuring OTLP spans (in process, then through POST /v1/traces)…\n');
    const otlp = await otlpBench();
    process.stdout.write(`measuring the idle sidecar's CPU over ${IDLE_SECONDS} s…\n`);
    const idle = await idleCpu(dir, IDLE_SECONDS);

    const results = {
      lines: LINES,
      file_bytes: bytes,
      requests_counted: requests,
      baseline_lines_per_second: Math.round(baseLps),
      replay_lines_per_second: Math.round(replayLps),
      replay_to_baseline_ratio: ratios.replay,
      replay_core_lines_per_second: Math.round(coreLps),
      replay_core_to_baseline_ratio: ratios.core,
      report_lines_per_second: Math.round(reportLps),
      report_to_baseline_ratio: ratios.report,
      render_series: render.series,
      render_ms: Number(render.ms.toFixed(2)),
      render_openmetrics_ms: Number(render.openMetricsMs.toFixed(2)),
      write_to_metrics_p50_ms: Number(latency.p50.toFixed(2)),
      write_to_metrics_p99_ms: Number(latency.p99.toFixed(2)),
      write_to_metrics_checkpointed_p50_ms: Number(latencyCheckpointed.p50.toFixed(2)),
      write_to_metrics_checkpointed_p99_ms: Number(latencyCheckpointed.p99.toFixed(2)),
      idle_cpu_seconds: idle.cpuSeconds,
      idle_cpu_share_of_core: Number(idle.shareOfCore.toFixed(5)),
      idle_seconds: IDLE_SECONDS,
      replay_rss_bytes_after: memory.rss,
      replay_peak_rss_bytes: memory.maxRss,
      replay_image_options_peak_rss_bytes: imageMemory.maxRss,
      presets,
      ...otlp,
    };
    process.stdout.write(
      [
        ...replayLines,
        `/metrics render at ${fmt(render.series)} series: ${results.render_ms} ms text, ${results.render_openmetrics_ms} ms OpenMetrics   (target <= 20 ms)`,
        `write() → visible in /metrics: p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms   (target p99 <= 50 ms)`,
        `  … with --state-dir:         p50 ${latencyCheckpointed.p50.toFixed(1)} ms, p99 ${latencyCheckpointed.p99.toFixed(1)} ms (each scrape writes a checkpoint first)`,
        `idle sidecar CPU:           ${idle.cpuSeconds.toFixed(2)} s over ${IDLE_SECONDS} s = ${(idle.shareOfCore * 100).toFixed(3)} % of a core   (target <= 0.2 %)`,
        memoryLine,
        formatOtlpBench(otlp, 1e6 / replayLps),
      ].join('\n'),
    );
    process.stdout.write(`${JSON.stringify(results)}\n`);
    process.stdout.write(formatGpuBench(await gpuBench()));
    process.stdout.write('measuring the footprint beside mtail (same writer, same file)…\n');
    process.stdout.write(formatFootprint(await footprintBench(FOOTPRINT_RATES, FOOTPRINT_SECONDS), FOOTPRINT_SECONDS));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
