import { describe, expect, it } from 'vitest';
import { DEFAULT_START_MS, generate, isMalformed, type GeneratedLine } from '../../src/simulator/generate.js';
import { SHAPES } from '../../src/simulator/shapes.js';
import type { SimulatedRequest } from '../../src/simulator/traffic.js';

const requests = (lines: Iterable<GeneratedLine>): SimulatedRequest[] => [...lines].flatMap((g) => (isMalformed(g.truth) ? [] : [g.truth]));

describe('generate', () => {
  it('yields exactly the requested lines, deterministically', () => {
    const a = [...generate({ lines: 1000, shape: 'mixed', seed: 5, malformedFraction: 0.01 })];
    expect(a).toHaveLength(1000);
    expect([...generate({ lines: 1000, shape: 'mixed', seed: 5, malformedFraction: 0.01 })]).toEqual(a);
    expect([...generate({ lines: 1000, shape: 'mixed', seed: 6, malformedFraction: 0.01 })].map((g) => g.line)).not.toEqual(a.map((g) => g.line));
  });

  it('draws the same requests whatever the shape', () => {
    const flat = requests(generate({ lines: 500, shape: 'flat', seed: 8 }));
    expect(requests(generate({ lines: 500, shape: 'tgi', seed: 8 }))).toEqual(flat);
    expect(requests(generate({ lines: 500, shape: 'mixed', seed: 8 }))).toEqual(flat);
  });

  it('advances simulated time at the given rate', () => {
    const reqs = requests(generate({ lines: 5000, shape: 'flat', seed: 2, ratePerSecond: 50 }));
    const span = (reqs[reqs.length - 1] as SimulatedRequest).timestamp - DEFAULT_START_MS / 1000;
    expect(span).toBeGreaterThan(90);
    expect(span).toBeLessThan(110);
    for (let i = 1; i < reqs.length; i++) expect((reqs[i] as SimulatedRequest).timestamp).toBeGreaterThanOrEqual((reqs[i - 1] as SimulatedRequest).timestamp);
  });

  it('round-robins shapes in mixed mode, or weighs them', () => {
    const rr = [...generate({ lines: 10, shape: 'mixed', seed: 1 })].map((g) => g.shape);
    expect(rr).toEqual([...SHAPES, ...SHAPES]);
    const weighted = [...generate({ lines: 4000, shape: 'mixed', seed: 1, shapeWeights: { nested: 3, tgi: 1 } })].map((g) => g.shape);
    expect(new Set(weighted)).toEqual(new Set(['nested', 'tgi']));
    expect(weighted.filter((s) => s === 'nested').length / 4000).toBeCloseTo(0.75, 1);
  });

  it('generates a million lines quickly enough for the benchmark', () => {
    const t0 = performance.now();
    let bytes = 0;
    for (const g of generate({ lines: 100_000, shape: 'mixed', seed: 42, ratePerSecond: 200, malformedFraction: 0.001 })) bytes += g.line.length;
    const seconds = (performance.now() - t0) / 1000;
    expect(bytes).toBeGreaterThan(100_000 * 250);
    // 100k lines well under 10 s keeps a 1M-line file under ~a minute even on a slow CI core.
    expect(seconds).toBeLessThan(10);
  });
});
