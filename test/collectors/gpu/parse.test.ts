import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CsvHeader } from '../../../src/collectors/gpu/csv.js';
import { GAUGE_FIELDS, GPU_QUERY_FIELDS, isAbsent, toBaseUnits, type GaugeField } from '../../../src/collectors/gpu/fields.js';
import { parseAppsCsv, parseGpuCsv } from '../../../src/collectors/gpu/readings.js';
import { MiB, fixture } from './fake-smi.js';

const field = (name: string): GaugeField => {
  const f = GAUGE_FIELDS.find((g) => g.field === name);
  if (f === undefined) throw new Error(name);
  return f;
};
const value = (metric: string) => GAUGE_FIELDS.findIndex((f) => f.metric === metric);

describe('nvidia-smi fields', () => {
  it('queries only fields the captured drivers list in --help-query-gpu', () => {
    const help = readFileSync(fixture('captures/utkuozdemir__linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt'), 'utf8');
    for (const f of GPU_QUERY_FIELDS) expect(help, f).toContain(`"${f}"`);
    // The 4×K80 capture (driver 430) has every value we read, under its XML names.
    expect(GPU_QUERY_FIELDS).toEqual([
      'index', 'uuid', 'name', 'pci.bus_id', 'driver_version', 'count',
      'memory.total', 'memory.used', 'memory.free', 'utilization.gpu', 'utilization.memory',
      'temperature.gpu', 'power.draw', 'enforced.power.limit', 'clocks.current.sm', 'pstate',
    ]);
  });

  it('treats every bracketed marker and N/A as absent', () => {
    for (const raw of ['[N/A]', 'N/A', '[Not Supported]', '[Insufficient Permissions]', '[Requested functionality has been deprecated]', '[Unknown Error]', '']) {
      expect(isAbsent(raw), raw).toBe(true);
      expect(toBaseUnits(raw, 'MiB', field('memory.used')), raw).toBeUndefined();
    }
    expect(isAbsent('0')).toBe(false);
  });

  it('converts to base units from the value, the header, or the documented unit', () => {
    expect(toBaseUnits('19818 MiB', 'MiB', field('memory.used'))).toBe(19818 * MiB);
    expect(toBaseUnits('19818', 'MiB', field('memory.used'))).toBe(19818 * MiB);
    expect(toBaseUnits('19818', undefined, field('memory.used'))).toBe(19818 * MiB);
    expect(toBaseUnits('2', 'GiB', field('memory.used'))).toBe(2 * 2 ** 30);
    expect(toBaseUnits('29', '%', field('utilization.gpu'))).toBe(0.29);
    expect(toBaseUnits('100 %', '%', field('utilization.gpu'))).toBe(1);
    expect(toBaseUnits('631.95 W', 'W', field('power.draw'))).toBe(631.95);
    expect(toBaseUnits('1980', 'MHz', field('clocks.current.sm'))).toBe(1_980_000_000);
    expect(toBaseUnits('41', undefined, field('temperature.gpu'))).toBe(41);
    expect(toBaseUnits('P0', undefined, field('pstate'))).toBe(0);
    expect(toBaseUnits('P12', undefined, field('pstate'))).toBe(12);
  });

  it('drops a value in a unit of the wrong kind or that is not a number', () => {
    expect(toBaseUnits('100', 'W', field('memory.used'))).toBeUndefined();
    expect(toBaseUnits('12 furlongs', undefined, field('memory.used'))).toBeUndefined();
    expect(toBaseUnits('0x1F', undefined, field('memory.used'))).toBeUndefined();
    expect(toBaseUnits('Unknown', undefined, field('pstate'))).toBeUndefined();
  });
});

describe('CSV by header name', () => {
  it('strips unit suffixes and maps aliases', () => {
    const h = CsvHeader.parse('gpu_uuid, memory.used [MiB], clocks.sm [MHz]', ['uuid'], { gpu_uuid: 'uuid', 'clocks.sm': 'clocks.current.sm' });
    expect(h?.names).toEqual(['uuid', 'memory.used', 'clocks.current.sm']);
    expect(h?.units).toEqual([undefined, 'MiB', 'MHz']);
  });

  it('reads columns by name whatever their order', () => {
    const text = 'memory.used [MiB], uuid, pstate, index\n100, GPU-b, P2, 1\n200, GPU-a, P0, 0\n';
    const parsed = parseGpuCsv(text);
    expect(parsed?.rows.map((r) => [r.index, r.uuid, r.values[value('llmtail_gpu_memory_used_bytes')], r.values[value('llmtail_gpu_pstate')]])).toEqual([
      ['0', 'GPU-a', 200 * MiB, 0],
      ['1', 'GPU-b', 100 * MiB, 2],
    ]);
  });

  it('counts a row with the wrong number of columns, or a repeated uuid, as bad and keeps the rest', () => {
    const text = 'index, uuid, memory.used [MiB]\n0, GPU-a, 1\n1, GPU-b\n2, GPU-c, 3, 4\n0, GPU-a, 5\n3, [N/A], 6\n';
    const parsed = parseGpuCsv(text);
    expect(parsed?.rows.map((r) => r.uuid)).toEqual(['GPU-a']);
    expect(parsed?.badRows).toBe(4);
  });

  it('refuses output without a header naming index and uuid', () => {
    expect(parseGpuCsv('')).toBeUndefined();
    expect(parseGpuCsv('No devices were found\n')).toBeUndefined();
    expect(parseGpuCsv('\u0000\u0001 garbage, more garbage\n1, 2\n')).toBeUndefined();
  });

  it('reads the hand-written P100 CSV in the csv,nounits form', () => {
    const parsed = parseGpuCsv(readFileSync(fixture('handwritten-p100-nounits.csv'), 'utf8'));
    const [p100] = parsed?.rows ?? [];
    expect(p100?.info).toEqual({ gpu: '0', uuid: 'GPU-11111111-2222-3333-4444-555555555555', name: 'Tesla P100-PCIE-16GB', driver_version: '470.82.01', pci_bus_id: '00000000:3B:00.0' });
    expect(p100?.values).toEqual([16280 * MiB, 1203 * MiB, 14974 * MiB, 0.12, 0.03, 35, 31.5, 250, 1_189_000_000, 0]);
  });

  it('reads compute apps, joining extra commas into the process name', () => {
    const text = 'pid, gpu_uuid, used_gpu_memory [MiB], process_name\n11, GPU-a, 10, python, serve.py\n12, GPU-a, [N/A], vllm\nx, GPU-a, 1, bad\n';
    const parsed = parseAppsCsv(text);
    expect(parsed?.rows).toEqual([
      { pid: '11', uuid: 'GPU-a', name: 'python, serve.py', bytes: 10 * MiB },
      { pid: '12', uuid: 'GPU-a', name: 'vllm', bytes: undefined },
    ]);
    expect(parsed?.badRows).toBe(1);
  });
});

describe('full captured --format=csv sections (units in values, ~200 columns)', () => {
  const used = value('llmtail_gpu_memory_used_bytes');
  const util = value('llmtail_gpu_utilization_ratio');
  const power = value('llmtail_gpu_power_draw_watts');
  it.each([
    ['h100-idle.csv', 0, 0, 69.85],
    ['h100-load.csv', 19818, 1, 631.95],
    ['h200-mig-idle.csv', 55, undefined, 78.28],
    ['h200-mig-load.csv', 16959, undefined, 295.01],
    ['rtx4080s-idle.csv', 596, 0, 26.2],
    ['rtx4080s-load.csv', 1474, 0.07, 84.24],
  ])('%s', (file, usedMiB, utilization, watts) => {
    const parsed = parseGpuCsv(readFileSync(fixture(file), 'utf8'));
    expect(parsed?.badRows).toBe(0);
    const [gpu] = parsed?.rows ?? [];
    expect([gpu?.values[used], gpu?.values[util], gpu?.values[power], gpu?.count]).toEqual([usedMiB * MiB, utilization, watts, 1]);
  });
});
