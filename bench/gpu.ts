/**
 * GPU collector section of `npm run bench` (also `node dist/bench/gpu.js` on its own): the CPU
 * the sidecar spends per nvidia-smi sample with 8 fake GPUs (the fake's own CPU is another
 * process and not counted), and a count of nvidia-smi starts during 50 concurrent scrapes, which
 * must be zero. Uses the fake nvidia-smi and the synthetic 8-GPU fixture from test/fixtures.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GpuCollector, type GpuMode } from '../src/collectors/gpu/collector.js';
import { GPU_QUERY_FIELDS } from '../src/collectors/gpu/fields.js';
import { parseGpuCsv } from '../src/collectors/gpu/readings.js';
import { MetricsRegistry } from '../src/exposition/registry.js';
import { createLogger } from '../src/log/logger.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/nvidia-smi/', import.meta.url));
const EIGHT_GPUS = path.join(FIXTURES, 'synthetic-8x-h100-load.csv');
const SECONDS = Number(process.env.BENCH_GPU_SECONDS ?? 2);

export interface GpuBenchResults {
  gpus: number;
  parse_us_per_sample: number;
  stream_cpu_us_per_sample: number;
  stream_samples: number;
  pipe_baseline_cpu_us_per_chunk: number;
  poll_cpu_us_per_sample: number;
  poll_samples: number;
  render_gpu_families_ms: number;
  concurrent_scrapes: number;
  nvidia_smi_starts_during_scrapes: number;
}

interface Fake {
  env: NodeJS.ProcessEnv;
  spawns(): number;
  cleanup(): void;
}

function makeFake(): Fake {
  const dir = mkdtempSync(path.join(tmpdir(), 'llmtail-bench-gpu-'));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'nvidia-smi'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(FIXTURES, 'fake-nvidia-smi.mjs')}" "$@"\n`);
  chmodSync(path.join(bin, 'nvidia-smi'), 0o755);
  const counter = path.join(dir, 'spawns.txt');
  return {
    env: { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_SMI_FIXTURE: EIGHT_GPUS, FAKE_SMI_COUNTER: counter },
    spawns: () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function collector(fake: Fake, mode: GpuMode, intervalMs: number): GpuCollector {
  return new GpuCollector({
    enabled: 'on',
    mode,
    intervalMs,
    timeoutMs: 5000,
    processes: false,
    nvidiaSmiPath: 'nvidia-smi',
    log: createLogger('error', 'json'),
    env: fake.env,
  });
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('the GPU collector produced no sample');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** CPU of this process (user + system, µs) per sample while the collector runs for SECONDS. */
async function cpuPerSample(fake: Fake, mode: GpuMode, intervalMs: number): Promise<{ us: number; samples: number }> {
  const gpu = collector(fake, mode, intervalMs);
  await gpu.start();
  await until(() => gpu.sampleCount > 0, 10_000);
  const s0 = gpu.sampleCount;
  const c0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const c = process.cpuUsage(c0);
  const samples = gpu.sampleCount - s0;
  await gpu.stop();
  return { us: (c.user + c.system) / Math.max(1, samples), samples };
}

/**
 * The floor under stream mode: CPU of this process to receive the same bytes from a child's pipe
 * every 50 ms and do nothing with them (Node's per-wakeup cost, all threads).
 */
async function pipeBaseline(text: string): Promise<number> {
  const script = `const s = ${JSON.stringify(text)}; setInterval(() => process.stdout.write(s), 50)`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  let chunks = 0;
  child.stdout.on('data', () => chunks++);
  await new Promise((r) => setTimeout(r, 500));
  const n0 = chunks;
  const c0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const c = process.cpuUsage(c0);
  const n = chunks - n0;
  child.kill('SIGKILL');
  return (c.user + c.system) / Math.max(1, n);
}

export async function gpuBench(): Promise<GpuBenchResults> {
  const fake = makeFake();
  try {
    // Parse only: the 8-GPU csv,nounits output, as the fake prints it for our field list.
    const text = execFileSync(process.execPath, [path.join(FIXTURES, 'fake-nvidia-smi.mjs'), `--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,nounits'], {
      env: { FAKE_SMI_FIXTURE: EIGHT_GPUS },
      encoding: 'utf8',
    });
    const gpus = parseGpuCsv(text)?.rows.length ?? 0;
    const N = 20_000;
    let t0 = performance.now();
    for (let i = 0; i < N; i++) parseGpuCsv(text);
    const parseUs = ((performance.now() - t0) * 1000) / N;

    const stream = await cpuPerSample(fake, 'stream', 50);
    const rows = text.split('\n').slice(1).join('\n');
    const baseline = await pipeBaseline(rows);
    const poll = await cpuPerSample(fake, 'poll', 100);

    // Scrapes: one poll run at start, then a 60 s interval, so any further start would be a scrape's.
    const gpu = collector(fake, 'poll', 60_000);
    const registry = new MetricsRegistry(false);
    for (const c of gpu.collectors()) registry.add(c);
    await gpu.start();
    await until(() => gpu.sampleCount > 0, 10_000);
    const before = fake.spawns();
    const SCRAPES = 50;
    await Promise.all(Array.from({ length: SCRAPES }, () => registry.render(false)));
    const during = fake.spawns() - before;
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      t0 = performance.now();
      await registry.render(false);
      times.push(performance.now() - t0);
    }
    await gpu.stop();
    times.sort((a, b) => a - b);

    return {
      gpus,
      parse_us_per_sample: Number(parseUs.toFixed(1)),
      stream_cpu_us_per_sample: Math.round(stream.us),
      stream_samples: stream.samples,
      pipe_baseline_cpu_us_per_chunk: Math.round(baseline),
      poll_cpu_us_per_sample: Math.round(poll.us),
      poll_samples: poll.samples,
      render_gpu_families_ms: Number((times[Math.floor(times.length / 2)] as number).toFixed(3)),
      concurrent_scrapes: SCRAPES,
      nvidia_smi_starts_during_scrapes: during,
    };
  } finally {
    fake.cleanup();
  }
}

export function formatGpuBench(r: GpuBenchResults): string {
  return [
    `GPU collector, ${r.gpus} fake GPUs (synthetic H100 rows):`,
    `  parse one sample (CSV → readings):     ${r.parse_us_per_sample} µs`,
    `  stream mode (-lms), sidecar CPU:       ${r.stream_cpu_us_per_sample} µs per sample (${r.stream_samples} samples)`,
    `    floor: same bytes read from a pipe:  ${r.pipe_baseline_cpu_us_per_chunk} µs per chunk (Node's cost per wakeup)`,
    `  poll mode (spawn per sample), CPU:     ${r.poll_cpu_us_per_sample} µs per sample (${r.poll_samples} samples)`,
    `  render of the GPU families:            ${r.render_gpu_families_ms} ms`,
    `  nvidia-smi starts during ${r.concurrent_scrapes} concurrent scrapes: ${r.nvidia_smi_starts_during_scrapes}   (must be 0)`,
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await gpuBench();
  process.stdout.write(formatGpuBench(results));
  process.stdout.write(`${JSON.stringify(results)}\n`);
  if (results.nvidia_smi_starts_during_scrapes !== 0) process.exitCode = 1;
}
