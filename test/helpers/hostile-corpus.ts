import { mappingSpecSchema } from '../../src/events/mapping-spec.js';
import { PRESETS, type PresetName } from '../../src/events/presets.js';
import { Rng } from '../../src/simulator/random.js';

/**
 * A seeded corpus of hostile log lines for the property tests: random JSON values, objects that
 * carry a preset's request fields (with label strings around the length cap, surrogate pairs at
 * the cut, quotes, backslashes, newlines, U+2028) and objects that carry none, plus blank, broken
 * and over-long lines. Field paths come from the preset definitions, so a new preset is covered
 * without changing this file.
 */

/** What the line accounting must make of a line, decided here without the decoder. */
export type LineClass = 'object' | 'empty' | 'json_syntax' | 'not_object' | 'too_long';

export interface CorpusLine {
  text: string;
  kind: LineClass;
}

interface CorpusDraw extends CorpusOptions {
  pool: string[];
}

export interface CorpusOptions {
  seed: number;
  lines: number;
  /** labels.max_value_length: label strings are drawn around it. */
  cap: number;
  /** lines.max_bytes: a few lines are made longer than this. */
  maxLineBytes: number;
  /** Presets whose field paths the request-like objects use. */
  presets: readonly PresetName[];
}

/** Pieces label strings are built from: each a whole character (pairs stay whole). */
const PIECES = ['a', 'Z', '0', '-', '.', '"', '\\', '\n', '\r', '\t', '\u2028', '\u2029', 'é', '中', '😀', '𝄞', '\u0000', '\u001b', '{', '}', '=', ',', ' ', '__other__'];
const FIELD_STRINGS = ['success', 'error', 'timeout', 'ERROR', 'WARN', 'Success', 'stop', 'length', 'cuda:0', ''];

export function hostileCorpus(options: CorpusOptions): CorpusLine[] {
  const rng = new Rng(options.seed);
  // Label strings recur (as a model name does), so a long one meets other label combinations.
  const o: CorpusDraw = { ...options, pool: Array.from({ length: 6 }, () => labelString(rng, options.cap)) };
  const out: CorpusLine[] = [];
  for (let i = 0; i < o.lines; i++) out.push(classify(line(rng, o), o.maxLineBytes));
  return out;
}

/** The corpus as bytes: newline-terminated lines. */
export function corpusText(lines: readonly CorpusLine[]): string {
  return lines.map((l) => `${l.text}\n`).join('');
}

function line(rng: Rng, o: CorpusDraw): string {
  const r = rng.float();
  if (r < 0.45) return JSON.stringify(requestLike(rng, o, rng.pick(o.presets)));
  if (r < 0.55) return JSON.stringify(withoutRequestFields(rng, o));
  if (r < 0.65) return JSON.stringify(randomValue(rng, o, 3));
  if (r < 0.7) return rng.pick(['', ' ', '\t', '\r', ' \t \r']);
  if (r < 0.8) return broken(rng, o);
  if (r < 0.83) return `{"model":"${'m'.repeat(o.maxLineBytes)}"}`;
  if (r < 0.86) return `\ufeff${JSON.stringify(requestLike(rng, o, rng.pick(o.presets)))}`;
  if (r < 0.9) return `${JSON.stringify(requestLike(rng, o, rng.pick(o.presets)))}\r`;
  return JSON.stringify(requestLike(rng, o, rng.pick(o.presets))).replace(/"[^"]*$/, '');
}

/** The preset's example with every mapped path set, some to hostile strings or numbers. */
function requestLike(rng: Rng, o: CorpusDraw, preset: PresetName): Record<string, unknown> {
  // Parsed as the decoder parses it: every field spec becomes { path }.
  const mapping = mappingSpecSchema.parse(PRESETS[preset].mapping);
  const record = exampleRecord(PRESETS[preset].example);
  for (const spec of Object.values(mapping.fields)) {
    if (spec === undefined || rng.chance(0.3)) continue;
    setPath(record, rng.pick(spec.path.split('|')), fieldValue(rng, o));
  }
  const matches = mapping.match;
  if (matches !== undefined && matches.length > 0 && rng.chance(0.7)) {
    // Meet one match entry, so the line is a request of a preset with match rules.
    for (const [path, rule] of Object.entries(rng.pick(matches))) {
      const target = rng.pick(path.split('|'));
      setPath(record, target, rule.equals !== undefined ? rng.pick(rule.equals) : fieldValue(rng, o));
    }
  }
  return record;
}

/** The example line as an object to fill in; {} for an example that is not one (a preset yet to come). */
function exampleRecord(example: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(example);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function fieldValue(rng: Rng, o: CorpusDraw): unknown {
  const r = rng.float();
  if (r < 0.3) return rng.pick(o.pool);
  if (r < 0.5) return labelString(rng, o.cap);
  if (r < 0.6) return rng.pick(FIELD_STRINGS);
  if (r < 0.8) return rng.pick([0, -1, 1.5, 200, 503, 1e308, -1e-9, 1735689234, 123456789012345]);
  if (r < 0.85) return `${rng.intBetween(1, 999)}ms`;
  return randomValue(rng, o, 1);
}

/** A string of cap−3 … cap+3 UTF-16 units, sometimes much longer, pairs kept whole. */
export function labelString(rng: Rng, cap: number): string {
  const target = rng.chance(0.1) ? rng.intBetween(cap * 4, cap * 40) : rng.intBetween(Math.max(0, cap - 3), cap + 3);
  let s = '';
  while (s.length < target) s += rng.chance(0.6) ? 'x' : rng.pick(PIECES);
  // Half the time, a pair straddles the cut exactly.
  if (rng.chance(0.5) && cap >= 2) s = `${s.slice(0, cap - 1)}😀${s.slice(cap + 1)}`;
  return wellFormed(s);
}

/** Halves of pairs left by the slicing above become 'x': the corpus's own strings are well-formed. */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, 'x');
}

function withoutRequestFields(rng: Rng, o: CorpusDraw): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  const n = rng.intBetween(0, 4);
  for (let i = 0; i < n; i++) record[`${rng.pick(['x', 'note', 'zz', 'payload'])}${i}`] = randomValue(rng, o, 2);
  return record;
}

function randomValue(rng: Rng, o: CorpusDraw, depth: number): unknown {
  const r = rng.int(depth > 0 ? 8 : 5);
  switch (r) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -0, 1, -1, 3.14, 1e21, -1e-7, 2 ** 53]);
    case 3:
      return labelString(rng, o.cap);
    case 4:
      return '';
    case 5:
    case 6:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, o, depth - 1));
    default: {
      const obj: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) obj[rng.pick(['model', 'status', 'k', 'usage', 'metadata', 'span'])] = randomValue(rng, o, depth - 1);
      return obj;
    }
  }
}

function broken(rng: Rng, o: CorpusDraw): string {
  return rng.pick(['{', '}', '{"a":', 'not json', '[1,2', '{"model":"x"', "{'model':'x'}", '{"a":1}}', 'NaN', `{"model":${labelString(rng, o.cap).length}`, '\u2028{}']);
}

/** Set a dotted path with [n] indexes, creating objects and arrays on the way. */
function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.').flatMap((part) => {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (m === null) return [part];
    const idx = [...(m[2] ?? '').matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [...(m[1] ? [m[1]] : []), ...idx];
  });
  let node: Record<string | number, unknown> = root;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    const wantArray = typeof keys[i + 1] === 'number';
    if (typeof next !== 'object' || next === null || Array.isArray(next) !== wantArray) node[key] = wantArray ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
}

/** The decoder's reading of a line, restated independently: what the accounting must record. */
function classify(text: string, maxLineBytes: number): CorpusLine {
  if (Buffer.byteLength(text) > maxLineBytes) return { text, kind: 'too_long' };
  let body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.endsWith('\r')) body = body.slice(0, -1);
  if (/^[ \t\r]*$/.test(body)) return { text, kind: 'empty' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { text, kind: 'json_syntax' };
  }
  return { text, kind: parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? 'object' : 'not_object' };
}
