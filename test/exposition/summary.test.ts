import { describe, expect, it } from 'vitest';
import { RequestMetrics } from '../../src/consumers/metrics/request-metrics.js';
import { formatSummary, MAX_LABEL_COLUMN } from '../../src/exposition/summary.js';
import { LineStats } from '../../src/pipeline/line-stats.js';

function summary(models: string[], maxLabelValueLength = 4096): string {
  const m = new RequestMetrics({ labels: ['model', 'status'], maxValuesPerLabel: 100, maxLabelValueLength, buckets: {}, exemplars: false });
  const stats = new LineStats();
  for (const model of models) {
    m.consume({ status: 'success', model, e2eSeconds: 0.5 });
    stats.ok();
  }
  return formatSummary(m, stats);
}

describe('replay --format summary', () => {
  it('caps the label columns and ellipsizes longer values, so one long model name does not widen every row', () => {
    const text = summary(['qwen', 'q'.repeat(4000)]);
    const rows = text.split('\n').slice(0, 3);
    for (const row of rows) expect([...row].length).toBeLessThan(MAX_LABEL_COLUMN + 120);
    // Equal counts keep input order.
    expect(rows[1]).toMatch(new RegExp(`^qwen {${MAX_LABEL_COLUMN - 4}}  success `));
    expect(rows[2]).toContain(`${'q'.repeat(MAX_LABEL_COLUMN - 1)}…  success`);
  });

  it('a cut never splits a surrogate pair, and control characters cannot break a row', () => {
    const text = summary([`${'😀'.repeat(100)}`, 'a\nb\u001b[31m']);
    const rows = text.split('\n');
    expect(rows[1]).toContain(`${'😀'.repeat(MAX_LABEL_COLUMN - 1)}…`);
    expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(rows[2]).toMatch(/^a\uFFFDb\uFFFD\[31m +success/);
    expect(rows[3]).toMatch(/^lines: ok=2 /);
  });
});
