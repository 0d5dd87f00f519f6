import { describe, expect, it } from 'vitest';
import { AnomalyConsumer } from '../../../src/consumers/anomaly/anomaly-consumer.js';
import { anomalyConfigSchema } from '../../../src/consumers/anomaly/config.js';

/** The model label of the anomaly families: always the admitted (cut) value, restarts included. */
function consumer(maxLabelLength: number): AnomalyConsumer {
  return new AnomalyConsumer({ config: anomalyConfigSchema.parse({}), maxModels: 100, maxLabelLength, clock: () => 1_000_000 });
}

function models(c: AnomalyConsumer): [string, number][] {
  const family = c.collectors().find((x) => x.name === 'llmtail_response_quality_issues_total');
  return (family?.collect() ?? []).filter((s) => s.labels.check === 'empty_response').map((s) => [s.labels.model as string, s.value]);
}

describe('AnomalyConsumer model label', () => {
  const LONG = `m-${'y'.repeat(10_000)}`;

  it('is cut under every path, and a restore under a smaller length cuts and adds up saved models', () => {
    const a = consumer(128);
    for (const model of ['model-one-a', 'model-one-b', LONG]) a.consume({ status: 'success', model, output: '' });
    expect(models(a).map(([m, n]) => [m.length, n])).toEqual([
      [11, 1],
      [11, 1],
      [128, 1],
    ]);
    const b = consumer(9);
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    b.consume({ status: 'success', model: LONG, output: '' });
    expect(models(b)).toEqual([
      ['model-one', 2],
      ['m-yyyyyyy', 2],
    ]);
  });
});
