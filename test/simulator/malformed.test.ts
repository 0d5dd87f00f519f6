import { describe, expect, it } from 'vitest';
import { Decoder } from '../../src/events/decoder.js';
import { INVALID_REASONS, LINE_RESULTS, LineStats } from '../../src/pipeline/line-stats.js';
import { generate, isMalformed } from '../../src/simulator/generate.js';
import { MALFORMED_REASONS, malformedLine, type MalformedReason } from '../../src/simulator/malformed.js';
import { Rng } from '../../src/simulator/random.js';
import { SHAPES } from '../../src/simulator/shapes.js';

const LIMITS = { maxDurationSeconds: 86400, maxTokens: 1e7, maxBytes: 2 ** 44 };

/** The LineStats counters a malformed line must move. */
function countOf(stats: LineStats, reason: MalformedReason): number {
  if (reason === 'empty') return stats.results[LINE_RESULTS.indexOf('empty')] as number;
  return stats.invalid[INVALID_REASONS.indexOf(reason)] as number;
}

describe('malformed lines', () => {
  it('are counted by the decoder under the reason they were made for', () => {
    for (const preset of ['auto', ...SHAPES] as const) {
      const rng = new Rng(1);
      const expected = new Map<MalformedReason, number>(MALFORMED_REASONS.map((r) => [r, 0]));
      const stats = new LineStats();
      const d = new Decoder({ preset, defaultModel: 'unknown', limits: LIMITS }, stats);
      for (let i = 0; i < 2000; i++) {
        const bad = malformedLine(rng, i % 2 === 0 ? undefined : '{"request_id":"req_1","status":"success","total_time_ms":12.5}');
        expect(bad.text).not.toContain('\n');
        expect(d.decode(bad.text), `${bad.reason}: ${bad.text}`).toBeUndefined();
        expected.set(bad.reason, (expected.get(bad.reason) ?? 0) + 1);
        expect(countOf(stats, bad.reason), `${bad.reason}: ${JSON.stringify(bad.text)}`).toBe(expected.get(bad.reason));
      }
      for (const reason of MALFORMED_REASONS) expect(expected.get(reason)).toBeGreaterThan(100);
      expect(stats.results[LINE_RESULTS.indexOf('ok')]).toBe(0);
      expect(stats.results[LINE_RESULTS.indexOf('unmapped')]).toBe(0);
      expect(stats.total()).toBe(2000);
    }
  });

  it('are mixed into generated streams at the configured fraction', () => {
    const stats = new LineStats();
    const d = new Decoder({ preset: 'auto', defaultModel: 'unknown', limits: LIMITS }, stats);
    const counts = new Map<string, number>();
    let requests = 0;
    for (const g of generate({ lines: 20000, shape: 'mixed', seed: 3, malformedFraction: 0.05 })) {
      const event = d.decode(g.line);
      if (isMalformed(g.truth)) {
        expect(event).toBeUndefined();
        expect(g.shape).toBeUndefined();
        counts.set(g.truth.malformed, (counts.get(g.truth.malformed) ?? 0) + 1);
      } else {
        expect(event?.status).toBeDefined();
        requests++;
      }
    }
    const malformed = 20000 - requests;
    expect(malformed / 20000).toBeGreaterThan(0.04);
    expect(malformed / 20000).toBeLessThan(0.06);
    expect(stats.results[LINE_RESULTS.indexOf('ok')]).toBe(requests);
    for (const reason of MALFORMED_REASONS) expect(countOf(stats, reason)).toBe(counts.get(reason));
  });
});
