import { describe, expect, it } from 'vitest';
import { RequestMetrics } from '../../src/consumers/metrics/request-metrics.js';
import { requestCollectors } from '../../src/exposition/request-collectors.js';

describe('request collectors', () => {
  it('cut an exemplar request id to 100 units without leaving half a surrogate pair', () => {
    const m = new RequestMetrics({ labels: ['model'], maxValuesPerLabel: 10, maxLabelValueLength: 128, buckets: {}, exemplars: true });
    m.consume({ status: 'success', model: 'm', requestId: `${'r'.repeat(99)}😀tail`, e2eSeconds: 1 });
    const family = requestCollectors(m).find((c) => c.name === 'llmtail_request_duration_seconds');
    const ids = (family?.collect() ?? []).flatMap((s) => (s.exemplar === undefined ? [] : [s.exemplar.labelSet.request_id]));
    expect(ids).toEqual(['r'.repeat(99)]);
  });
});
