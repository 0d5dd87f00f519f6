import { describe, expect, it } from 'vitest';
import { isValidJson } from '../../../src/consumers/anomaly/json-check.js';
import { jsonOutput, malformedJsonOutput } from '../../../src/simulator/text.js';
import { Rng } from '../../../src/simulator/index.js';

const parses = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

describe('isValidJson', () => {
  it('agrees with JSON.parse', () => {
    const cases = [
      '{}', '[]', ' {"a": [1, -2.5e+3, 0, true, false, null, "x\\n\\u00e9\\"\\\\"]} ', '"s"', '0', '-0.1', '1E5', 'true', 'null',
      '', ' ', '{', '{"a":1,}', '[1,]', '{"a" 1}', "{'a': 1}", '01', '1.', '.5', '-', '1e', '+1', 'tru', 'nul', '"\\x"', '"\\u12G4"',
      '"tab\there"', '{"a":1}}', '[1] [2]', '{"a":{"b":[{"c":"d"}]}}', 'NaN', 'Infinity', '"unterminated', '{"a":1', '\u00a0{}',
      `${'['.repeat(300)}${']'.repeat(300)}`, `${'['.repeat(300)}${']'.repeat(299)}`,
    ];
    for (const c of cases) expect(isValidJson(c), JSON.stringify(c)).toBe(parses(c));
  });

  it('agrees with JSON.parse on the simulator’s JSON-mode outputs, valid and malformed', () => {
    const rng = new Rng(9);
    for (let i = 0; i < 2000; i++) {
      const s = i % 2 === 0 ? jsonOutput(rng) : malformedJsonOutput(rng);
      expect(isValidJson(s), s).toBe(parses(s));
    }
  });
});
