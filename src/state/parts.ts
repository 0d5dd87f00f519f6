import { z } from 'zod';
import { anomalySignalsPart } from '../consumers/anomaly/checkpoint.js';

/**
 * The shapes of the checkpoint's parts. A checkpoint is read back only if every part parses and
 * fits the running configuration (see Sidecar): restoring half of one would break the promise that
 * offsets and counters agree.
 */
const histogram = z.object({ counts: z.array(z.number()), sum: z.number(), count: z.number() });

export const metricsPart = z.object({
  labels: z.array(z.string()),
  buckets: z.array(z.array(z.number())),
  series: z.array(z.object({ values: z.array(z.string()), requests: z.number(), histograms: z.array(histogram.nullable()) })),
  errors: z.array(z.object({ values: z.array(z.string()), type: z.string(), count: z.number() })),
  gpuMemory: z.array(z.tuple([z.string(), z.number()])),
  lastEventTimestamp: z.number().nullable(),
  limiter: z.object({ names: z.array(z.string()), admitted: z.array(z.array(z.tuple([z.string(), z.string()]))), folded: z.array(z.number()) }),
});

export const linesPart = z.object({
  results: z.array(z.number()),
  invalid: z.array(z.number()),
  warnings: z.array(z.number()),
  fieldProblems: z.array(z.number()),
  bytesRead: z.number(),
});

export const tailerPart = z.object({
  files: z.array(
    z.object({
      path: z.string(),
      dev: z.number(),
      ino: z.number(),
      fingerprint: z.string(),
      offset: z.number().int().nonnegative(),
      draining: z.boolean(),
    }),
  ),
  rotations: z.number(),
  truncations: z.number(),
  bytesLost: z.number(),
});

export const checkpointParts = z.object({
  metrics: metricsPart,
  lines: linesPart,
  tailer: tailerPart.optional(),
  /** Span results (OTLP); absent in checkpoints from before OTLP input: they start at 0. */
  spans: z.object({ results: z.array(z.number()) }).optional(),
  /** Absent when anomaly signals were off (or the checkpoint predates them): they start at 0. */
  anomaly: anomalySignalsPart.optional(),
});
export type CheckpointParts = z.output<typeof checkpointParts>;
