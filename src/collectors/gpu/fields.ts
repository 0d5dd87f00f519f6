/**
 * What we ask nvidia-smi for and how each answer becomes a value in base units. Field names are
 * the canonical ones from `nvidia-smi --help-query-gpu` (the header echoes these), all present in
 * drivers from the 430 series (the K80 capture) to 590: an unknown field makes nvidia-smi reject
 * the whole query (exit 2), so a newer field is only added when every driver we support has it.
 */

/** Measured quantities, each with the units nvidia-smi may report it in and their factor to base. */
type Dimension = 'bytes' | 'ratio' | 'celsius' | 'watts' | 'hertz' | 'pstate';

// `div` rather than a fractional factor, so 29 % is exactly 0.29 and not 0.29000000000000004.
const UNITS: Readonly<Record<string, { dimension: Dimension; mul?: number; div?: number }>> = {
  B: { dimension: 'bytes' },
  KiB: { dimension: 'bytes', mul: 2 ** 10 },
  MiB: { dimension: 'bytes', mul: 2 ** 20 },
  GiB: { dimension: 'bytes', mul: 2 ** 30 },
  '%': { dimension: 'ratio', div: 100 },
  C: { dimension: 'celsius' },
  W: { dimension: 'watts' },
  mW: { dimension: 'watts', div: 1000 },
  Hz: { dimension: 'hertz' },
  kHz: { dimension: 'hertz', mul: 1e3 },
  MHz: { dimension: 'hertz', mul: 1e6 },
  GHz: { dimension: 'hertz', mul: 1e9 },
};

export interface GaugeField {
  /** --query-gpu field name (canonical, as echoed in the CSV header). */
  readonly field: string;
  readonly metric: string;
  readonly help: string;
  readonly dimension: Dimension;
  /** Unit assumed when the header carries none (nvidia-smi prints none for temperature.gpu). */
  readonly defaultUnit: string;
}

export const GAUGE_FIELDS: readonly GaugeField[] = [
  { field: 'memory.total', metric: 'llmtail_gpu_memory_total_bytes', help: 'Total installed GPU memory (nvidia-smi memory.total), in bytes.', dimension: 'bytes', defaultUnit: 'MiB' },
  { field: 'memory.used', metric: 'llmtail_gpu_memory_used_bytes', help: 'GPU memory allocated by active contexts (memory.used), in bytes.', dimension: 'bytes', defaultUnit: 'MiB' },
  { field: 'memory.free', metric: 'llmtail_gpu_memory_free_bytes', help: 'Free GPU memory (memory.free), in bytes; total - used - reserved.', dimension: 'bytes', defaultUnit: 'MiB' },
  { field: 'utilization.gpu', metric: 'llmtail_gpu_utilization_ratio', help: 'Fraction of the last sample period in which a kernel ran (utilization.gpu), 0-1. Absent under MIG.', dimension: 'ratio', defaultUnit: '%' },
  { field: 'utilization.memory', metric: 'llmtail_gpu_memory_utilization_ratio', help: 'Fraction of the last sample period in which device memory was read or written (utilization.memory), 0-1. Absent under MIG.', dimension: 'ratio', defaultUnit: '%' },
  { field: 'temperature.gpu', metric: 'llmtail_gpu_temperature_celsius', help: 'GPU core temperature (temperature.gpu), in degrees Celsius.', dimension: 'celsius', defaultUnit: 'C' },
  { field: 'power.draw', metric: 'llmtail_gpu_power_draw_watts', help: 'Board power draw (power.draw; a 1 s average on Ampere and newer), in watts.', dimension: 'watts', defaultUnit: 'W' },
  { field: 'enforced.power.limit', metric: 'llmtail_gpu_power_limit_watts', help: 'Power ceiling the driver enforces (enforced.power.limit: the lowest of all limiters), in watts.', dimension: 'watts', defaultUnit: 'W' },
  { field: 'clocks.current.sm', metric: 'llmtail_gpu_sm_clock_hertz', help: 'Current SM clock (clocks.current.sm), in hertz.', dimension: 'hertz', defaultUnit: 'MHz' },
  { field: 'pstate', metric: 'llmtail_gpu_pstate', help: 'Performance state as a number: 0 for P0 (maximum performance) to 15 (minimum).', dimension: 'pstate', defaultUnit: '' },
];

/** Identity fields: labels, not values. `count` lets the stream reader tell when a sample is complete. */
export const IDENTITY_FIELDS = ['index', 'uuid', 'name', 'pci.bus_id', 'driver_version', 'count'] as const;

export const GPU_QUERY_FIELDS: readonly string[] = [...IDENTITY_FIELDS, ...GAUGE_FIELDS.map((f) => f.field)];

/** --query-compute-apps fields; process_name last, so a name containing commas cannot shift columns. */
export const APP_QUERY_FIELDS: readonly string[] = ['pid', 'gpu_uuid', 'used_gpu_memory', 'process_name'];

/**
 * Other spellings nvidia-smi accepts (see --help-query-*), mapped to the canonical name, in case a
 * driver echoes the alias in the header.
 */
export const GPU_HEADER_ALIASES: Readonly<Record<string, string>> = {
  gpu_uuid: 'uuid',
  gpu_bus_id: 'pci.bus_id',
  'clocks.sm': 'clocks.current.sm',
  'gpu.power.current_limit': 'enforced.power.limit',
};

export const APP_HEADER_ALIASES: Readonly<Record<string, string>> = {
  used_memory: 'used_gpu_memory',
  name: 'process_name',
};

/**
 * nvidia-smi writes these instead of a value: `[N/A]`, `[Not Supported]`, `[Insufficient
 * Permissions]`, `[Requested functionality has been deprecated]`, `[Unknown Error]`, `[GPU is
 * lost]`… Any bracketed text, plain `N/A`, or nothing means the value is absent.
 */
export function isAbsent(raw: string): boolean {
  return raw === '' || raw === 'N/A' || (raw.startsWith('[') && raw.endsWith(']'));
}

const NUMBER_WITH_UNIT = /^(-?\d+(?:\.\d+)?)(?: ?([A-Za-z%]+))?$/;
const PSTATE = /^P(\d{1,2})$/;

/**
 * A value in base units, or undefined when absent or unusable. The unit comes from the value
 * itself (`--format=csv` prints `19818 MiB`), else from the header (`memory.used [MiB]` with
 * `nounits`), else the field's documented unit. A unit of the wrong kind drops the value rather
 * than export a number off by a factor of a million.
 */
export function toBaseUnits(raw: string, headerUnit: string | undefined, field: GaugeField): number | undefined {
  if (isAbsent(raw)) return undefined;
  if (field.dimension === 'pstate') {
    const p = PSTATE.exec(raw);
    return p === null ? undefined : Number(p[1]);
  }
  const m = NUMBER_WITH_UNIT.exec(raw);
  if (m === null) return undefined;
  const unit = UNITS[m[2] ?? headerUnit ?? field.defaultUnit];
  if (unit === undefined || unit.dimension !== field.dimension) return undefined;
  const value = (Number(m[1]) * (unit.mul ?? 1)) / (unit.div ?? 1);
  return Number.isFinite(value) ? value : undefined;
}

const PROCESS_MEMORY: GaugeField = { field: 'used_gpu_memory', metric: '', help: '', dimension: 'bytes', defaultUnit: 'MiB' };

/** Bytes from a compute-apps `used_gpu_memory` value (MiB unless the value or header says otherwise). */
export function bytesOf(raw: string, headerUnit: string | undefined): number | undefined {
  return toBaseUnits(raw, headerUnit, PROCESS_MEMORY);
}
