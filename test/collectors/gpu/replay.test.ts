import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { GpuCollector } from '../../../src/collectors/gpu/collector.js';
import { MetricsRegistry } from '../../../src/exposition/registry.js';
import type { Exposition } from '../../helpers/exposition.js';
import { MiB, collectorFor, fixture, makeFakeSmi, scrape, until, type FakeSmi } from './fake-smi.js';

/**
 * Real captures replayed through the fake nvidia-smi, in both modes, with the exact values the
 * capture holds converted to base units.
 */

let fake: FakeSmi;
let running: GpuCollector[] = [];

afterEach(async () => {
  await Promise.all(running.map((g) => g.stop()));
  running = [];
  fake?.cleanup();
});

async function sampleOf(file: string, mode: 'poll' | 'stream', options: { processes?: string } = {}): Promise<Exposition> {
  fake = makeFakeSmi();
  const env: Record<string, string> = { FAKE_SMI_FIXTURE: file };
  if (options.processes !== undefined) env.FAKE_SMI_APPS = options.processes;
  const { gpu } = collectorFor(fake, env, { mode, processes: options.processes !== undefined });
  running.push(gpu);
  await gpu.start();
  await until(async () => (await scrape(gpu)).get('llmtail_gpu_collector_up') === 1, 5000, 'a sample');
  if (options.processes !== undefined) await until(async () => (await scrape(gpu)).all('llmtail_gpu_process_memory_used_bytes').length > 0, 5000, 'processes');
  return scrape(gpu);
}

const ZERO_UUID = 'GPU-00000000-0000-0000-0000-000000000000';
const one = { gpu: '0', uuid: ZERO_UUID };

/** Every per-GPU value for one GPU, by metric; absent ones missing from the object. */
function gpuValues(m: Exposition, labels: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of m.samples) {
    if (!s.name.startsWith('llmtail_gpu_') || s.name === 'llmtail_gpu_info') continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v) && s.labels.pid === undefined) out[s.name] = s.value;
  }
  return out;
}

describe.each(['poll', 'stream'] as const)('replaying captures (%s mode)', (mode) => {
  it('H100 80GB HBM3, idle', async () => {
    const m = await sampleOf(fixture('h100-idle.csv'), mode);
    expect(m.all('llmtail_gpu_info').map((s) => s.labels)).toEqual([
      { gpu: '0', uuid: ZERO_UUID, name: 'NVIDIA H100 80GB HBM3', driver_version: '590.48.01', pci_bus_id: '00000000:00:09.0' },
    ]);
    expect(gpuValues(m, one)).toEqual({
      llmtail_gpu_memory_total_bytes: 81559 * MiB,
      llmtail_gpu_memory_used_bytes: 0,
      llmtail_gpu_memory_free_bytes: 81081 * MiB,
      llmtail_gpu_utilization_ratio: 0,
      llmtail_gpu_memory_utilization_ratio: 0,
      llmtail_gpu_temperature_celsius: 41,
      llmtail_gpu_power_draw_watts: 69.85,
      llmtail_gpu_power_limit_watts: 700,
      llmtail_gpu_sm_clock_hertz: 345_000_000,
      llmtail_gpu_pstate: 0,
    });
    expect(m.get('llmtail_gpus')).toBe(1);
  });

  it('H100 80GB HBM3, under load', async () => {
    const m = await sampleOf(fixture('h100-load.csv'), mode);
    expect(gpuValues(m, one)).toEqual({
      llmtail_gpu_memory_total_bytes: 85_520_809_984, // 81559 MiB
      llmtail_gpu_memory_used_bytes: 20_780_679_168, // 19818 MiB
      llmtail_gpu_memory_free_bytes: 64_238_911_488, // 61263 MiB
      llmtail_gpu_utilization_ratio: 1,
      llmtail_gpu_memory_utilization_ratio: 0.11,
      llmtail_gpu_temperature_celsius: 59,
      llmtail_gpu_power_draw_watts: 631.95,
      llmtail_gpu_power_limit_watts: 700,
      llmtail_gpu_sm_clock_hertz: 1_980_000_000,
      llmtail_gpu_pstate: 0,
    });
  });

  it('H200 with MIG: utilization is [N/A], so those series are absent (not 0)', async () => {
    const m = await sampleOf(fixture('h200-mig-load.csv'), mode);
    expect(m.all('llmtail_gpu_info')[0]?.labels).toMatchObject({ name: 'NVIDIA H200', pci_bus_id: '00000000:83:00.0' });
    expect(gpuValues(m, one)).toEqual({
      llmtail_gpu_memory_total_bytes: 143771 * MiB,
      llmtail_gpu_memory_used_bytes: 16959 * MiB,
      llmtail_gpu_memory_free_bytes: 126199 * MiB,
      llmtail_gpu_temperature_celsius: 36,
      llmtail_gpu_power_draw_watts: 295.01,
      llmtail_gpu_power_limit_watts: 700,
      llmtail_gpu_sm_clock_hertz: 1_980_000_000,
      llmtail_gpu_pstate: 0,
    });
    expect(m.all('llmtail_gpu_utilization_ratio')).toEqual([]);
    expect(m.all('llmtail_gpu_memory_utilization_ratio')).toEqual([]);
  });

  it('4×Tesla K80 (values of the microsoft/pai XML capture), keyed by uuid', async () => {
    const m = await sampleOf(fixture('k80x4-from-xml.csv'), mode);
    expect(m.get('llmtail_gpus')).toBe(4);
    const byGpu = (metric: string) => Object.fromEntries(m.all(metric).map((s) => [s.labels.uuid, s.value]));
    expect(byGpu('llmtail_gpu_utilization_ratio')).toEqual({
      'GPU-c3b26f7a-8dcb-619c-fa1b-8029265a4db0': 0.99,
      'GPU-b01b80eb-0f18-1df0-cf88-0725bd90f1e1': 0.99,
      'GPU-30bc2701-3bc2-5f35-0ebd-9867a077e138': 0,
      'GPU-3341aba2-f01d-2c1f-7dd4-e389779faec2': 0,
    });
    expect(gpuValues(m, { gpu: '1', uuid: 'GPU-b01b80eb-0f18-1df0-cf88-0725bd90f1e1' })).toEqual({
      llmtail_gpu_memory_total_bytes: 11441 * MiB,
      llmtail_gpu_memory_used_bytes: 587 * MiB,
      llmtail_gpu_memory_free_bytes: 10854 * MiB,
      llmtail_gpu_utilization_ratio: 0.99,
      llmtail_gpu_memory_utilization_ratio: 0.36,
      llmtail_gpu_temperature_celsius: 69,
      llmtail_gpu_power_draw_watts: 139.71,
      llmtail_gpu_power_limit_watts: 149,
      llmtail_gpu_sm_clock_hertz: 810_000_000,
      llmtail_gpu_pstate: 0,
    });
    expect(m.get('llmtail_gpu_pstate', { gpu: '3' })).toBe(8);
    expect(m.all('llmtail_gpu_info').map((s) => s.labels.pci_bus_id)).toEqual(['00001580:00:00.0', '00002DF7:00:00.0', '00004968:00:00.0', '0000F8D6:00:00.0']);
  });

  it('8 GPUs (SYNTHETIC, from the H100 row), printed out of index order', async () => {
    const m = await sampleOf(fixture('synthetic-8x-h100-load.csv'), mode);
    expect(m.get('llmtail_gpus')).toBe(8);
    const used = m.all('llmtail_gpu_memory_used_bytes');
    expect(used.map((s) => [s.labels.gpu, s.labels.uuid])).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [String(i), `GPU-00000000-0000-0000-0000-00000000000${i}`]),
    );
    expect(new Set(used.map((s) => s.value))).toEqual(new Set([19818 * MiB]));
  });

  it('Tesla P100 (HAND-WRITTEN csv,nounits file, not a capture): fan [N/A] is not among our fields', async () => {
    const m = await sampleOf(fixture('handwritten-p100-nounits.csv'), mode);
    expect(gpuValues(m, { gpu: '0', uuid: 'GPU-11111111-2222-3333-4444-555555555555' })).toEqual({
      llmtail_gpu_memory_total_bytes: 16280 * MiB,
      llmtail_gpu_memory_used_bytes: 1203 * MiB,
      llmtail_gpu_memory_free_bytes: 14974 * MiB,
      llmtail_gpu_utilization_ratio: 0.12,
      llmtail_gpu_memory_utilization_ratio: 0.03,
      llmtail_gpu_temperature_celsius: 35,
      llmtail_gpu_power_draw_watts: 31.5,
      llmtail_gpu_power_limit_watts: 250,
      llmtail_gpu_sm_clock_hertz: 1_189_000_000,
      llmtail_gpu_pstate: 0,
    });
  });

  it('RTX 4080 SUPER under load, with its compute processes', async () => {
    const m = await sampleOf(fixture('rtx4080s-load.csv'), mode, { processes: fixture('rtx4080s-load-apps.csv') });
    expect(gpuValues(m, one)).toMatchObject({ llmtail_gpu_utilization_ratio: 0.07, llmtail_gpu_memory_utilization_ratio: 0.02, llmtail_gpu_pstate: 2, llmtail_gpu_power_limit_watts: 320 });
    expect(m.all('llmtail_gpu_process_memory_used_bytes').map((s) => [s.labels, s.value])).toEqual([
      [{ gpu: '0', uuid: ZERO_UUID, pid: '5022', process_name: 'ffmpeg' }, 503 * MiB],
      [{ gpu: '0', uuid: ZERO_UUID, pid: '5021', process_name: 'ffmpeg' }, 360 * MiB],
      [{ gpu: '0', uuid: ZERO_UUID, pid: '2165', process_name: '/usr/bin/kwin_wayland' }, 25 * MiB],
    ]);
    expect(m.get('llmtail_gpu_processes', one)).toBe(3);
  });
});

describe('per-process GPU memory', () => {
  it('H100 under load: gpu_burn and two memhogs; bounded to the largest', async () => {
    fake = makeFakeSmi();
    const { gpu } = collectorFor(fake, { FAKE_SMI_FIXTURE: fixture('h100-load.csv'), FAKE_SMI_APPS: fixture('h100-load-apps.csv') }, { processes: true, maxProcesses: 2 });
    running.push(gpu);
    await gpu.start();
    await until(async () => (await scrape(gpu)).all('llmtail_gpu_process_memory_used_bytes').length > 0 && gpu.sampleCount > 0);
    const m = await scrape(gpu);
    expect(m.all('llmtail_gpu_process_memory_used_bytes').map((s) => [s.labels.pid, s.labels.process_name, s.value])).toEqual([
      ['11345', './gpu_burn', 15690 * MiB],
      ['11327', '/root/tools/memhog', 2566 * MiB],
    ]);
    expect(m.get('llmtail_gpu_processes', one)).toBe(3);
    expect(m.sum('llmtail_gpu_process_query_failures_total')).toBe(0);
  });

  it('H200 with MIG: processes listed under the parent GPU uuid', async () => {
    const m = await sampleOf(fixture('h200-mig-load.csv'), 'poll', { processes: fixture('h200-mig-load-apps.csv') });
    expect(m.get('llmtail_gpu_process_memory_used_bytes', { pid: '12267' })).toBe(13526 * MiB);
    expect(m.all('llmtail_gpu_process_memory_used_bytes')).toHaveLength(3);
  });
});

describe('exposition', () => {
  it('passes promtool check metrics, with every family populated', async () => {
    fake = makeFakeSmi();
    const { gpu } = collectorFor(fake, { FAKE_SMI_FIXTURE: fixture('h100-load.csv'), FAKE_SMI_APPS: fixture('h100-load-apps.csv') }, { processes: true });
    running.push(gpu);
    await gpu.start();
    await until(async () => gpu.sampleCount > 0 && (await scrape(gpu)).all('llmtail_gpu_process_memory_used_bytes').length === 3);
    const registry = new MetricsRegistry(false);
    for (const c of gpu.collectors()) registry.add(c);
    const text = await registry.render(false);
    expect(text).toContain(`llmtail_gpu_info{gpu="0",uuid="${ZERO_UUID}",name="NVIDIA H100 80GB HBM3",driver_version="590.48.01",pci_bus_id="00000000:00:09.0"} 1`);
    expect(text).toContain(`llmtail_gpu_process_memory_used_bytes{gpu="0",uuid="${ZERO_UUID}",pid="11345",process_name="./gpu_burn"} ${15690 * MiB}`);
    expect(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })).toBe('');
    const om = await registry.render(true);
    expect(om).toContain('# TYPE llmtail_gpu_collector_failures counter');
  });
});
