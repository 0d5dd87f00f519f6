import type { GpuReading } from '../../collectors/gpu/readings.js';
import type { FailureReason } from '../../collectors/gpu/exit-codes.js';
import type { RequestSeries } from '../../consumers/metrics/request-metrics.js';
import type { SourceStatus } from '../../sources/source.js';

/**
 * What the live recorder reads: the same aggregates /metrics renders, through narrow views so a
 * test can hand it plain objects. All of them are read once per sample, never per line.
 */
export interface LiveInputs {
  requests: {
    readonly series: readonly RequestSeries[];
    readonly labelNames: readonly string[];
  };
  /** Per-result line counters (LineStats.results: ok, invalid, unmapped, empty). */
  lines: { readonly results: Float64Array };
  /** The file tailer, when files are followed. */
  files?: {
    readonly fileCount: number;
    lag(): readonly { bytes: number }[];
  };
  /** The GPU collector, when it runs (nvidia-smi found and not turned off). */
  gpu?: {
    /** The latest sample's GPUs if it is current, else undefined. */
    fresh(): readonly GpuReading[] | undefined;
    readonly error: FailureReason | undefined;
  };
  sources: () => readonly { status(): SourceStatus }[];
}
