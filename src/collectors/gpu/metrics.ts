import { cutLabelValue } from '../../consumers/metrics/label-limiter.js';
import { single, type Collector, type Sample } from '../../exposition/registry.js';
import { FAILURE_REASONS } from './exit-codes.js';
import { GAUGE_FIELDS } from './fields.js';
import type { GpuState } from './state.js';

/** Longest process_name label value; paths can be long, label values should not be (cut whole characters). */
const MAX_PROCESS_NAME = 128;

/**
 * The GPU families, computed from GpuState when scraped. Reading only: a scrape never starts
 * nvidia-smi, and concurrent scrapes see the same latest sample.
 */
export function gpuCollectors(state: GpuState, withProcesses: boolean): Collector[] {
  const gauges: Collector[] = GAUGE_FIELDS.map((f, i) => ({
    name: f.metric,
    help: f.help,
    type: 'gauge',
    // An absent value ([N/A], [Not Supported], …) drops the series: never a 0.
    collect: () => {
      const out: Sample[] = [];
      for (const g of state.fresh() ?? []) {
        const v = g.values[i];
        if (v !== undefined) out.push({ value: v, labels: g.labels });
      }
      return out;
    },
  }));

  const families: Collector[] = [
    {
      name: 'llmtail_gpu_info',
      help: 'One series per GPU in the latest sample, always 1; identity labels: name, driver_version, pci_bus_id.',
      type: 'gauge',
      collect: () => (state.fresh() ?? []).map((g) => ({ value: 1, labels: g.info })),
    },
    ...gauges,
    {
      name: 'llmtail_gpus',
      help: 'GPUs in the latest sample (0 when nvidia-smi reports no devices); absent while the collector is down.',
      type: 'gauge',
      collect: () => single(state.fresh()?.length),
    },
    {
      name: 'llmtail_gpu_collector_up',
      help: 'Whether the latest nvidia-smi sample succeeded and is current (1) or not (0); per-GPU series are exported only while 1.',
      type: 'gauge',
      collect: () => single(state.fresh() === undefined ? 0 : 1),
    },
    {
      name: 'llmtail_gpu_last_success_timestamp_seconds',
      help: 'Unix time of the latest successful nvidia-smi sample.',
      type: 'gauge',
      collect: () => single(state.lastSuccessAt === undefined ? undefined : state.lastSuccessAt / 1000),
    },
    {
      name: 'llmtail_gpu_last_duration_seconds',
      help: 'How long the latest collection took: a poll run from start to exit; in stream mode the time nvidia-smi took to print one sample (the first includes NVML initialisation).',
      type: 'gauge',
      collect: () => single(state.lastDurationMs === undefined ? undefined : state.lastDurationMs / 1000),
    },
    {
      name: 'llmtail_gpu_collector_failures_total',
      help: 'Failed GPU collections by reason (timeout, spawn_error, exit_code, invalid_argument, no_permission, driver_not_loaded, library_not_found, gpu_lost, version_mismatch, parse_error, stale).',
      type: 'counter',
      collect: () => FAILURE_REASONS.map((reason) => ({ value: state.failures[reason], labels: { reason } })),
    },
    {
      name: 'llmtail_gpu_nvidia_smi_exit_code',
      help: 'Exit status of the latest nvidia-smi process to end (128 + signal number when killed).',
      type: 'gauge',
      collect: () => single(state.lastExitCode),
    },
    {
      name: 'llmtail_gpu_nvidia_smi_starts_total',
      help: 'nvidia-smi processes started (stream restarts, poll runs, process queries); scrapes never start one.',
      type: 'counter',
      collect: () => single(state.starts),
    },
  ];
  if (withProcesses) families.push(...processCollectors(state));
  return families;
}

function processCollectors(state: GpuState): Collector[] {
  /** uuid → index of the GPUs in the current sample, to label processes like the GPU series. */
  const indexOf = () => new Map((state.fresh() ?? []).map((g) => [g.uuid, g.index]));
  return [
    {
      name: 'llmtail_gpu_process_memory_used_bytes',
      help: 'GPU memory used by a compute process (nvidia-smi --query-compute-apps), in bytes; the largest ones only (bounded).',
      type: 'gauge',
      collect: () => {
        const index = indexOf();
        const out: Sample[] = [];
        for (const p of state.freshProcesses() ?? []) {
          if (p.bytes === undefined) continue;
          out.push({ value: p.bytes, labels: { gpu: index.get(p.uuid) ?? '', uuid: p.uuid, pid: p.pid, process_name: cutLabelValue(p.name, MAX_PROCESS_NAME) } });
        }
        return out;
      },
    },
    {
      name: 'llmtail_gpu_processes',
      help: 'Compute processes on each GPU (all of them, including those beyond the per-process series bound).',
      type: 'gauge',
      collect: () => {
        const processes = state.freshProcesses();
        if (processes === undefined) return [];
        return (state.fresh() ?? []).map((g) => ({ value: state.processCounts.get(g.uuid) ?? 0, labels: g.labels }));
      },
    },
    {
      name: 'llmtail_gpu_process_query_failures_total',
      help: 'Failed nvidia-smi --query-compute-apps runs, by reason (same reasons as llmtail_gpu_collector_failures_total).',
      type: 'counter',
      collect: () => FAILURE_REASONS.map((reason) => ({ value: state.processFailures[reason], labels: { reason } })),
    },
  ];
}
