import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GpuCollector, GpuCollectorOptions } from '../../../src/collectors/gpu/collector.js';
import { collectorFor, fixture, isGone, makeFakeSmi, scrape, until, type FakeSmi } from './fake-smi.js';

/** Every failure mode of the issue, through the fake nvidia-smi; each finishes in well under a second or two. */

let fake: FakeSmi;
let running: GpuCollector[] = [];

beforeEach(() => {
  fake = makeFakeSmi();
});

afterEach(async () => {
  await Promise.all(running.map((g) => g.stop()));
  running = [];
  fake.cleanup();
});

function make(env: Record<string, string>, options: Partial<GpuCollectorOptions> = {}) {
  const made = collectorFor(fake, env, options);
  running.push(made.gpu);
  return made;
}

const up = async (gpu: GpuCollector) => (await scrape(gpu)).get('llmtail_gpu_collector_up');
const failures = async (gpu: GpuCollector, reason: string) => (await scrape(gpu)).get('llmtail_gpu_collector_failures_total', { reason }) ?? 0;
const perGpuSeries = async (gpu: GpuCollector) => (await scrape(gpu)).samples.filter((s) => s.labels.uuid !== undefined && s.labels.pid === undefined).length;
const warnings = (logs: () => Record<string, unknown>[], reason: string) => logs().filter((l) => l.level === 'warn' && l.reason === reason);

const H100 = fixture('h100-load.csv');
const K80 = fixture('k80x4-from-xml.csv');

describe('nvidia-smi missing', () => {
  const noSmi = () => {
    const empty = path.join(fake.dir, 'empty');
    mkdirSync(empty);
    return { PATH: empty };
  };

  it('auto: collector off, no families, one clear log line', async () => {
    const { gpu, logs } = make(noSmi(), { enabled: 'auto' });
    expect(gpu.active).toBe(false);
    expect(gpu.collectors()).toEqual([]);
    await gpu.start();
    await gpu.start();
    const lines = logs();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info' });
    expect(String(lines[0]?.msg)).toMatch(/GPU metrics disabled: no nvidia-smi at "nvidia-smi" on PATH/);
    expect(fake.spawns()).toBe(0);
  });

  it('on: start() rejects with a clear error', async () => {
    const { gpu } = make(noSmi(), { enabled: 'on' });
    await expect(gpu.start()).rejects.toThrow(/gpu\.enabled: on.*no executable nvidia-smi was found/);
  });

  it('on, with a path that does not exist: start() rejects naming the path', async () => {
    const { gpu } = make({}, { enabled: 'on', nvidiaSmiPath: '/nonexistent/nvidia-smi' });
    await expect(gpu.start()).rejects.toThrow(/\/nonexistent\/nvidia-smi/);
  });

  it('off: never looks, never logs', async () => {
    const { gpu, logs } = make({}, { enabled: 'off' });
    await gpu.start();
    expect([gpu.active, gpu.collectors(), logs(), fake.spawns()]).toEqual([false, [], [], 0]);
  });
});

describe.each(['poll', 'stream'] as const)('failure modes (%s mode)', (mode) => {
  it('spawn error (the file exists but cannot be executed): down with reason spawn_error', async () => {
    const broken = fake.write('broken-smi', '#!/nonexistent/interpreter\n');
    chmodSync(broken, 0o755);
    const { gpu } = make({}, { mode, nvidiaSmiPath: broken });
    await gpu.start();
    await until(async () => (await failures(gpu, 'spawn_error')) > 0);
    expect(await up(gpu)).toBe(0);
  });

  it('exit 6 "No devices were found": zero GPUs, collector up', async () => {
    const { gpu } = make({ FAKE_SMI_EXIT: '6' }, { mode });
    await gpu.start();
    await until(() => gpu.sampleCount > 0);
    const m = await scrape(gpu);
    expect(m.get('llmtail_gpu_collector_up')).toBe(1);
    expect(m.get('llmtail_gpus')).toBe(0);
    expect(m.get('llmtail_gpu_nvidia_smi_exit_code')).toBe(6);
    expect(m.sum('llmtail_gpu_collector_failures_total')).toBe(0);
    expect(m.all('llmtail_gpu_info')).toEqual([]);
  });

  it.each([
    [9, 'driver_not_loaded', /couldn't communicate with the NVIDIA driver/],
    [15, 'gpu_lost', /GPU is lost/],
    [18, 'version_mismatch', /Driver\/library version mismatch/],
  ])('exit %i: down with reason %s, and nvidia-smi\'s message in the log', async (code, reason, message) => {
    const { gpu, logs } = make({ FAKE_SMI_EXIT: String(code) }, { mode });
    await gpu.start();
    await until(async () => (await failures(gpu, reason)) >= 2, 5000, `two ${reason} failures`);
    const m = await scrape(gpu);
    expect(m.get('llmtail_gpu_collector_up')).toBe(0);
    expect(m.get('llmtail_gpu_nvidia_smi_exit_code')).toBe(code);
    expect(m.get('llmtail_gpus')).toBeUndefined();
    expect(m.sum('llmtail_gpu_collector_failures_total')).toBe(m.get('llmtail_gpu_collector_failures_total', { reason }));
    // Repeated failures log once (rate-limited), with the driver's own words.
    const warned = warnings(logs, reason);
    expect(warned).toHaveLength(1);
    expect(String(warned[0]?.detail)).toMatch(message);
  });

  it('a hang past the timeout (ignoring SIGTERM): killed, down with reason timeout, fast', async () => {
    const t0 = Date.now();
    const { gpu } = make({ FAKE_SMI_HANG: '1', FAKE_SMI_IGNORE_TERM: '1' }, { mode, timeoutMs: 400, killGraceMs: 100 });
    await gpu.start();
    await until(async () => (await failures(gpu, 'timeout')) > 0, 5000, 'a timeout');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await up(gpu)).toBe(0);
    // The event loop was never blocked (scrapes answered all along), and every hung child got SIGKILL.
    await until(() => fake.pids('self').length > 0, 5000, 'a hung child running');
    await until(() => fake.pids('self').length > 1 || (fake.pids('self')[0] !== undefined && isGone(fake.pids('self')[0] as number)), 5000, 'the first hung child killed');
    await gpu.stop();
    for (const pid of fake.pids('self')) await until(() => isGone(pid), 2000, `pid ${pid} gone`);
  });

  it('garbage output: down with reason parse_error', async () => {
    const { gpu } = make({ FAKE_SMI_GARBAGE: '1' }, { mode });
    await gpu.start();
    await until(async () => (await failures(gpu, 'parse_error')) > 0);
    expect(await up(gpu)).toBe(0);
    expect(await perGpuSeries(gpu)).toBe(0);
  });

  it('a row with the wrong number of columns: that GPU left out and counted, the others exported', async () => {
    const { gpu } = make({ FAKE_SMI_FIXTURE: K80, FAKE_SMI_BAD_ROW: '1' }, { mode });
    await gpu.start();
    await until(() => gpu.sampleCount > 0);
    const m = await scrape(gpu);
    expect(m.get('llmtail_gpu_collector_up')).toBe(1);
    expect(m.get('llmtail_gpus')).toBe(3);
    expect(m.all('llmtail_gpu_info').map((s) => s.labels.gpu)).toEqual(['1', '2', '3']);
    expect(m.get('llmtail_gpu_collector_failures_total', { reason: 'parse_error' })).toBeGreaterThan(0);
  });

  it('a GPU that disappears between samples: its series go away', async () => {
    const lines = readFileSync(K80, 'utf8').trimEnd().split('\n');
    // GPU 2 falls off the bus: the next sample has three rows (and count 3).
    const without2 = [lines[0], ...lines.slice(1).filter((l) => !l.startsWith('2, ')).map((l) => l.replace(', 430.26, 4, ', ', 430.26, 3, '))];
    const second = fake.write('k80-minus-2.csv', `${without2.join('\n')}\n`);
    const { gpu } = make({ FAKE_SMI_FIXTURE: `${K80}${path.delimiter}${second}` }, { mode, intervalMs: 150 });
    await gpu.start();
    await until(async () => (await scrape(gpu)).get('llmtail_gpus') === 4, 5000, 'four GPUs');
    await until(async () => (await scrape(gpu)).get('llmtail_gpus') === 3, 5000, 'three GPUs');
    const m = await scrape(gpu);
    const lost = 'GPU-30bc2701-3bc2-5f35-0ebd-9867a077e138';
    expect(m.samples.filter((s) => s.labels.uuid === lost)).toEqual([]);
    expect(m.all('llmtail_gpu_info').map((s) => s.labels.gpu)).toEqual(['0', '1', '3']);
    expect(m.get('llmtail_gpu_collector_up')).toBe(1);
  });

  it('rendering never starts nvidia-smi: 50 concurrent scrapes read the same sample', async () => {
    const { gpu } = make({ FAKE_SMI_FIXTURE: H100 }, { mode, intervalMs: 60_000 });
    await scrape(gpu);
    expect(fake.spawns()).toBe(0);
    await gpu.start();
    await until(() => gpu.sampleCount > 0);
    const before = fake.spawns();
    expect(before).toBe(1);
    const all = await Promise.all(Array.from({ length: 50 }, () => scrape(gpu)));
    expect(fake.spawns()).toBe(before);
    expect(new Set(all.map((m) => m.get('llmtail_gpu_memory_used_bytes')))).toEqual(new Set([19818 * 2 ** 20]));
    expect(all.every((m) => m.get('llmtail_gpu_nvidia_smi_starts_total') === 1)).toBe(true);
  });
});

describe('poll mode specifics', () => {
  it('a grandchild holding stdout open does not hold up the run, and is killed', async () => {
    const { gpu } = make({ FAKE_SMI_FIXTURE: H100, FAKE_SMI_GRANDCHILD: '1' }, { intervalMs: 60_000 });
    await gpu.start();
    await until(() => gpu.sampleCount > 0, 3000, 'a sample despite the open pipe');
    const m = await scrape(gpu);
    expect(m.get('llmtail_gpu_collector_up')).toBe(1);
    expect(m.get('llmtail_gpu_last_duration_seconds')).toBeLessThan(1.5);
    const [grandchild] = fake.pids('grandchild');
    expect(grandchild).toBeDefined();
    await until(() => isGone(grandchild as number), 2000, 'grandchild killed');
  });
});

describe.each(['poll', 'stream'] as const)('shutdown (%s mode)', (mode) => {
  it('stop() during a hung run returns within the kill grace, not the timeout, and kills the child', async () => {
    const { gpu } = make({ FAKE_SMI_HANG: '1', FAKE_SMI_IGNORE_TERM: '1' }, { mode, timeoutMs: 30_000, killGraceMs: 100 });
    await gpu.start();
    await until(() => fake.pids('self').length > 0, 5000, 'a hung child running');
    const t0 = Date.now();
    await gpu.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    const [pid] = fake.pids('self');
    await until(() => isGone(pid as number), 1000, 'child gone after stop');
    expect(await failures(gpu, 'timeout')).toBe(0);
  });
});

describe('stream mode specifics', () => {
  it('a stalled stream: the old sample is stale, not exported as fresh; up 0 with reason stale', async () => {
    const { gpu } = make({ FAKE_SMI_FIXTURE: H100, FAKE_SMI_STALL_AFTER: '1' }, { mode: 'stream', intervalMs: 50, timeoutMs: 10_000, staleAfterMs: 150 });
    await gpu.start();
    await until(() => gpu.sampleCount > 0);
    await until(async () => (await up(gpu)) === 0, 2000, 'stale');
    const m = await scrape(gpu);
    expect(m.get('llmtail_gpus')).toBeUndefined();
    expect(await perGpuSeries(gpu)).toBe(0);
    expect(m.get('llmtail_gpu_last_success_timestamp_seconds')).toBeGreaterThan(0);
    await until(async () => (await failures(gpu, 'stale')) === 1, 1000, 'stale counted once');
  });

  it('a stream that goes silent past interval + timeout is killed and restarted', async () => {
    const { gpu } = make({ FAKE_SMI_FIXTURE: H100, FAKE_SMI_STALL_AFTER: '1', FAKE_SMI_IGNORE_TERM: '1' }, { mode: 'stream', intervalMs: 50, timeoutMs: 150 });
    await gpu.start();
    await until(() => fake.spawns() >= 2 && gpu.sampleCount >= 2, 5000, 'a restart after the stall');
    expect(await failures(gpu, 'timeout')).toBeGreaterThan(0);
    const [first] = fake.pids('self');
    expect(isGone(first as number)).toBe(true);
  });

  it('GPU lost mid-stream, with a grandchild holding the pipe: down at once with gpu_lost, then restarted', async () => {
    const { gpu } = make({ FAKE_SMI_FIXTURE: H100, FAKE_SMI_EXIT: '15', FAKE_SMI_EXIT_AFTER: '1', FAKE_SMI_GRANDCHILD: '1' }, { mode: 'stream', intervalMs: 100 });
    await gpu.start();
    await until(async () => (await failures(gpu, 'gpu_lost')) > 0, 3000, 'gpu_lost');
    expect((await scrape(gpu)).get('llmtail_gpu_nvidia_smi_exit_code')).toBe(15);
    const [grandchild] = fake.pids('grandchild');
    await until(() => isGone(grandchild as number), 2000, 'grandchild killed');
    await until(() => fake.spawns() >= 2, 3000, 'a restart');
  });

  it('restarts back off exponentially', async () => {
    const { gpu } = make({ FAKE_SMI_EXIT: '9' }, { mode: 'stream', backoffMinMs: 50, backoffMaxMs: 400 });
    await gpu.start();
    await new Promise((r) => setTimeout(r, 1000));
    // 50 + 100 + 200 + 400 … ms between starts (plus each start's own time): a handful, not dozens.
    expect(fake.spawns()).toBeGreaterThanOrEqual(2);
    expect(fake.spawns()).toBeLessThanOrEqual(7);
  });

  it('falls back to one run per interval when nvidia-smi rejects -lms', async () => {
    const { gpu, logs } = make({ FAKE_SMI_FIXTURE: H100, FAKE_SMI_NO_LOOP: '1' }, { mode: 'stream' });
    await gpu.start();
    await until(() => gpu.sampleCount > 0);
    expect(await up(gpu)).toBe(1);
    expect(logs().some((l) => l.level === 'warn' && /falling back/.test(String(l.msg)))).toBe(true);
  });

  it('stop() ends the streaming child', async () => {
    const { gpu } = make({ FAKE_SMI_FIXTURE: H100 }, { mode: 'stream', intervalMs: 50 });
    await gpu.start();
    await until(() => gpu.sampleCount > 0);
    await gpu.stop();
    const [pid] = fake.pids('self');
    await until(() => isGone(pid as number), 1000, 'child gone after stop');
  });
});
