import type { InferenceEvent } from '../events/event.js';

/** Anything that wants every request event: metric aggregation, quality checks, burst detection. */
export interface EventConsumer {
  consume(event: InferenceEvent): void;
}
