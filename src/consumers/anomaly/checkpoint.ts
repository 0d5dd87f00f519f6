import { z } from 'zod';
import { summarizerPart } from '../../summarizer/metrics.js';
import { anomalyPart } from './anomaly-consumer.js';

/**
 * The anomaly signals' part of the checkpoint: their counters (quality issues, bursts, summarizer
 * calls, alert posts) and the model label cap, so they continue across restarts like every other
 * counter. Incidents and burst state are not kept: they describe the recent past of one process.
 */
export const anomalySignalsPart = z.object({
  consumer: anomalyPart,
  summarizer: summarizerPart,
  alertPosts: z.array(z.number()),
});
export type AnomalySignalsCheckpoint = z.output<typeof anomalySignalsPart>;
