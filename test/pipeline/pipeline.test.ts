import { describe, expect, it } from 'vitest';
import type { EventConsumer } from '../../src/consumers/consumer.js';
import type { InferenceEvent } from '../../src/events/event.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';

const limits = { maxDurationSeconds: 86400, maxTokens: 1e7, maxBytes: 2 ** 44 };
const line = '{"model":"m","total_time_ms":10,"status":"success"}';

describe('Pipeline', () => {
  it('a consumer that throws is counted, and the other consumers still see the event', () => {
    const seen: InferenceEvent[] = [];
    const broken: EventConsumer = {
      consume: () => {
        throw new Error('boom with response text');
      },
    };
    const problems: string[] = [];
    const p = new Pipeline({ preset: 'auto', defaultModel: 'unknown', limits }, [broken, { consume: (e) => seen.push({ ...e }) }], 1 << 20);
    p.stats.onProblem = (problem) => problems.push(problem);
    p.line(line);
    p.line(line);
    expect(seen).toHaveLength(2);
    expect(p.stats.consumerErrors).toBe(2);
    expect(p.stats.results[0]).toBe(2);
    expect(problems).toEqual(['consumer_error', 'consumer_error']);
  });
});
