import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { LABEL_NAMES } from '../../src/consumers/metrics/definitions.js';
import type { Exposition } from './exposition.js';
import type { CorpusLine, LineClass } from './hostile-corpus.js';

/** Labels whose values come from the log (capped by labels.max_value_length); the rest are fixed words. */
const LOG_LABELS = new Set<string>([...LABEL_NAMES, 'error_type']);
/** Families that reuse one of those names for their own fixed words (the summarizer's call status). */
const OWN_WORDS = /^llmtail_summarizer_/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every corpus line counted exactly once, under the result (and reason) its class calls for. */
export function expectEveryLineAccounted(m: Exposition, corpus: readonly CorpusLine[]): void {
  const count = (k: LineClass) => corpus.filter((l) => l.kind === k).length;
  expect(m.sum('llmtail_lines_total')).toBe(corpus.length);
  expect(m.get('llmtail_lines_total', { result: 'empty' })).toBe(count('empty'));
  for (const reason of ['json_syntax', 'not_object', 'too_long'] as const) expect(m.get('llmtail_lines_invalid_total', { reason }), reason).toBe(count(reason));
  expect(m.get('llmtail_lines_total', { result: 'invalid' })).toBe(count('json_syntax') + count('not_object') + count('too_long'));
  const ok = m.get('llmtail_lines_total', { result: 'ok' }) as number;
  expect(ok + (m.get('llmtail_lines_total', { result: 'unmapped' }) as number)).toBe(count('object'));
  // Every request line is in exactly one request series (folding into __other__ loses none).
  expect(m.sum('llmtail_requests_total')).toBe(ok);
}

/** No label value from the log longer than the cap (UTF-16 units, as the limiter counts), none with half a pair. */
export function expectLabelsWithinCap(m: Exposition, cap: number): number {
  let checked = 0;
  for (const s of m.samples) {
    for (const [name, value] of Object.entries(s.labels)) {
      if (LONE_SURROGATE.test(value)) throw new Error(`${s.name}{${name}} has a lone surrogate`);
      if (!LOG_LABELS.has(name) || OWN_WORDS.test(s.name)) continue;
      checked++;
      if (value.length > cap) throw new Error(`${s.name}{${name}} is ${value.length} units long (cap ${cap}): ${JSON.stringify(value.slice(0, 200))}`);
    }
  }
  return checked;
}

/** `promtool check metrics` on an exposition: no error and no lint finding. */
export function expectPromtoolClean(text: string): void {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect(`${r.stdout}${r.stderr}`).toBe('');
  expect(r.status).toBe(0);
}
