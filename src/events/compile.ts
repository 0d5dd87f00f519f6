import { MAPPABLE_FIELDS, type InferenceEvent, type MappableField, type RequestStatus } from './event.js';
import type { FieldSpec, MappingSpec, MatchEntry } from './mapping-spec.js';
import { normalizeLevel, statusFromHttpCode, statusFromLevel, statusFromValue } from './status.js';
import {
  fromList,
  toBoolean,
  toBytes,
  toCount,
  toEpochSeconds,
  toNumber,
  toSeconds,
  type ByteUnit,
  type DurationUnit,
  type FieldProblem,
  type ListMode,
  type TimestampFormat,
} from './values.js';

/**
 * Mappings compiled to JavaScript. A mapping is data (paths, units, formats); running it through
 * a generic interpreter costs a megamorphic property lookup per path alternative — tens of ns, dozens
 * of times per line, more than JSON.parse itself. So each mapping becomes one generated function
 * with every key written as a literal: its property accesses have their own inline caches, which
 * stay monomorphic for the handful of shapes one log has.
 *
 * Safety: generated code contains only keys, units, list modes and null values passed through
 * JSON.stringify, event property
 * names from MAPPABLE_FIELDS, and numbers checked to be finite. No config text becomes code.
 */

/** Where a mapping reports a field it had to drop. */
export type FieldProblemSink = (field: MappableField, problem: FieldProblem) => void;

export interface ValueLimits {
  /** Durations above this are absurd (a latency of 10^12 s) and dropped. */
  maxDurationSeconds: number;
  maxTokens: number;
  maxBytes: number;
}

/** A mapping turned into code: decides whether a parsed line is a request and builds its event. */
export interface CompiledMapping {
  readonly name: string;
  isRequest(line: Record<string, unknown>): boolean;
  extract(line: Record<string, unknown>, onProblem: FieldProblemSink): InferenceEvent;
}

type Getter = (root: unknown) => unknown;

/** "a.b[0].c|x" → a getter returning the first alternative that is present (not undefined/null). */
export function compilePath(path: string, nulls: readonly Null[] = []): Getter {
  const body = `if (root === null || typeof root !== 'object') return undefined;\nlet raw, t;\n${readInto('raw', path, 'root', nulls)}\nreturn raw;`;
  return new Function('root', body) as Getter;
}

/**
 * For `auto`: a function returning the index of the first candidate any of whose marker paths is
 * present in the line, or -1.
 */
export function compileDetector(candidates: readonly (readonly string[])[]): (line: Record<string, unknown>) => number {
  let body = 'let raw, t, g;\n';
  candidates.forEach((paths, i) => {
    // Nested markers under one key ("usage.prompt_tokens", "usage.total_tokens") read that key
    // once: every line of another shape probes all markers, and each probe is a megamorphic load.
    const groups = new Map<string | number, (string | number)[][]>();
    for (const p of paths) {
      const segments = p.includes('|') ? undefined : parseSegments(p.trim());
      if (segments === undefined || segments.length < 2) {
        body += `${readInto('raw', p, 'line')}\nif (raw !== undefined) return ${i};\n`;
        continue;
      }
      const group = groups.get(segments[0] as string | number);
      if (group === undefined) groups.set(segments[0] as string | number, [segments.slice(1)]);
      else group.push(segments.slice(1));
    }
    for (const [first, rests] of groups) {
      body += `g = line[${JSON.stringify(first)}];\nif (g !== null && typeof g === 'object') {\n`;
      for (const rest of rests) body += `  raw = ${accessExpr(rest, 'g')};\n  if (raw !== undefined) return ${i};\n`;
      body += '}\n';
    }
  });
  body += 'return -1;';
  return new Function('line', body) as (line: Record<string, unknown>) => number;
}

/** A value a mapping's `null_values` says means "not logged". */
type Null = string | number;

/**
 * Fields whose presence makes a line a request when the mapping has no `match`: a measurement or an
 * outcome. A timestamp, level, id or message alone is any log line (issue 16: a startup line or an
 * unrelated record under a named preset must stay `unmapped`).
 */
const REQUEST_KINDS = new Set<string>(['duration', 'count', 'status', 'http_status']);
const REQUEST_FIELDS = new Set<MappableField>(['model', 'finish_reason', 'error_type']);
export function isRequestField(field: MappableField): boolean {
  return REQUEST_KINDS.has(MAPPABLE_FIELDS[field].kind) || REQUEST_FIELDS.has(field);
}

/**
 * `markers`: paths of which one must be present (a named preset's `detect` list), so that a preset
 * named explicitly takes exactly the lines `auto` would give it when it is the only candidate.
 */
export function compileMapping(name: string, spec: MappingSpec, limits: ValueLimits, markers: readonly string[] = []): CompiledMapping {
  assertFinite(limits);
  const nulls = spec.null_values ?? [];
  const entries = Object.entries(spec.fields).filter((e): e is [MappableField, FieldSpec] => e[1] !== undefined);
  // Error details matter only for requests that failed: reading them on every success line would
  // walk several absent paths per line for nothing.
  const main = entries.filter(([f]) => !FAILURE_ONLY.has(f));
  const failure = entries.filter(([f]) => FAILURE_ONLY.has(f));
  // `when` conditions are rare (one field of one preset): closures, not generated code.
  const when: ((line: Record<string, unknown>) => boolean)[] = [];
  const step = ([field, fs]: [MappableField, FieldSpec]) => stepCode(field, fs, limits, nulls, when);

  const failureSteps = new Function('h', 'when', `return function (line, onProblem, e) {\n  let raw, raw2, v, t;\n${failure.map(step).join('\n')}\n};`)(HELPERS, when);
  const extract = new Function(
    'h',
    'failure',
    'when',
    `return function extract_${identifier(name)}(line, onProblem) {
  const e = h.emptyEvent();
  let raw, raw2, v, t, status, httpStatus;
${main.map(step).join('\n')}
  return h.finish(e, status, httpStatus, line, onProblem, failure);
};`,
  )(HELPERS, failureSteps, when) as CompiledMapping['extract'];

  const matchers = (spec.match ?? []).map((entry) => compileEntry(entry, nulls));
  const hasMarker = markers.length === 0 ? undefined : compileDetector([markers]);
  const hasRequestField = compileAnyPresent(entries.filter(([f]) => isRequestField(f)).map(([, fs]) => fs.path), nulls);
  const isRequest = (line: Record<string, unknown>): boolean => {
    if (hasMarker !== undefined && hasMarker(line) < 0) return false;
    if (matchers.length === 0) return hasRequestField(line);
    for (const m of matchers) if (m(line)) return true;
    return false;
  };

  return { name, isRequest, extract };
}

/** A `match` (or `when`) entry: true when every path in it holds. */
function compileEntry(entry: MatchEntry, nulls: readonly Null[]): (line: Record<string, unknown>) => boolean {
  const conditions = Object.entries(entry).map(([path, rule]) => ({ get: compilePath(path, nulls), equals: rule.equals, present: rule.present ?? true }));
  return (line) => {
    for (const c of conditions) {
      const v = c.get(line);
      const present = v !== undefined && v !== null;
      if (c.equals !== undefined ? !present || !c.equals.includes(v as string | number | boolean) : present !== c.present) return false;
    }
    return true;
  };
}

/** A generated function: whether any of `paths` is present (not undefined, null or a null value). */
function compileAnyPresent(paths: readonly string[], nulls: readonly Null[]): (line: Record<string, unknown>) => boolean {
  let body = 'let raw, t;\n';
  for (const p of paths) body += `${readInto('raw', p, 'line', nulls)}\nif (raw !== undefined && raw !== null) return true;\n`;
  return new Function('line', `${body}return false;`) as (line: Record<string, unknown>) => boolean;
}

const FAILURE_ONLY = new Set<MappableField>(['error_type', 'error_message']);

/** Code that reads one field: find the raw value, parse it, store it or report the problem. */
function stepCode(field: MappableField, fs: FieldSpec, limits: ValueLimits, nulls: readonly Null[], when: ((line: Record<string, unknown>) => boolean)[]): string {
  const { prop, kind } = MAPPABLE_FIELDS[field];
  const f = JSON.stringify(field);
  const unit = JSON.stringify((fs.unit ?? 's') as DurationUnit);
  let parse: string;
  switch (kind) {
    case 'duration':
      parse = fs.minus !== undefined ? `h.difference(raw, raw2, ${unit}, ${limits.maxDurationSeconds})` : `h.duration(raw, ${unit}, ${limits.maxDurationSeconds})`;
      break;
    case 'count':
      parse = fs.over !== undefined ? `h.ratio(raw, raw2, ${unit}, ${limits.maxTokens})` : `h.count(raw, ${limits.maxTokens})`;
      break;
    case 'bytes':
      parse = `h.bytes(raw, ${JSON.stringify((fs.unit ?? 'B') as ByteUnit)}, ${limits.maxBytes})`;
      break;
    case 'timestamp':
      parse = `h.timestamp(raw, ${JSON.stringify((fs.format ?? 'auto') as TimestampFormat)})`;
      break;
    default:
      parse = `h.${kind}(raw)`;
  }
  let store: string;
  if (field === 'status') store = `{ status = v; if (typeof raw === 'number') httpStatus = raw; }`;
  else if (field === 'http_status') store = 'httpStatus = v;';
  else store = `e.${prop} = v;`;
  const second = fs.minus ?? fs.over;
  let read = readInto('raw', fs.path, 'line', nulls);
  if (fs.list !== undefined) read += ` raw = h.list(raw, ${JSON.stringify(fs.list as ListMode)});`;
  let present = 'raw !== undefined && raw !== null';
  if (second !== undefined) {
    read += `\n  ${readInto('raw2', second, 'line', nulls)}`;
    present += ' && raw2 !== undefined && raw2 !== null';
  }
  if (fs.when !== undefined) {
    when.push(compileEntry(fs.when, nulls));
    present = `when[${when.length - 1}](line) && ${present}`;
  }
  return `  ${read}
  if (${present}) {
    v = ${parse};
    if (v === h.PROBLEM) onProblem(${f}, h.problem());
    else if (v !== h.ABSENT) ${store}
  }`;
}

/** Statements that set `target` to the first present alternative of `path`, read from `root`. */
function readInto(target: string, path: string, root: string, nulls: readonly Null[] = []): string {
  const alternatives = path.split('|').map((alt) => parseSegments(alt.trim()));
  // A null value reads as absent, so the next alternative is tried.
  const drop = nulls.length === 0 ? '' : ` if (${nulls.map((n) => `${target} === ${JSON.stringify(n)}`).join(' || ')}) ${target} = undefined;`;
  return alternatives
    .map((segments, i) => {
      const read = `${target} = ${accessExpr(segments, root)};${drop}`;
      return i === 0 ? read : `if (${target} === undefined || ${target} === null) { ${read} }`;
    })
    .join(' ');
}

/** `root["a"]`, then each further key guarded: intermediate values may be anything. */
function accessExpr(segments: readonly (string | number)[], root: string): string {
  let expr = `${root}[${JSON.stringify(segments[0])}]`;
  for (const seg of segments.slice(1)) {
    expr = `((t = ${expr}) !== null && typeof t === 'object' ? t[${JSON.stringify(seg)}] : undefined)`;
  }
  return expr;
}

function parseSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  // "\." is a dot inside a key (Envoy's "gen_ai.usage.input_tokens" is one key).
  for (const part of path.split(/(?<!\\)\./)) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (m === null) throw new Error(`invalid path segment "${part}" in "${path}"`);
    if (m[1] !== '') segments.push((m[1] as string).replaceAll('\\.', '.'));
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) segments.push(Number(idx[1]));
  }
  if (segments.length === 0) throw new Error(`empty path "${path}"`);
  return segments;
}

function identifier(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

function assertFinite(limits: ValueLimits): void {
  for (const [k, v] of Object.entries(limits)) if (!Number.isFinite(v)) throw new Error(`limit ${k} must be a finite number`);
}

// The parsers' two non-values. Symbols, not strings, so no real field value can be mistaken for
// them; the reason for PROBLEM is left in lastProblem, which costs no allocation per field.
const PROBLEM = Symbol('problem');
const ABSENT = Symbol('absent');
let lastProblem: FieldProblem = 'wrong_type';
function fail(problem: FieldProblem): typeof PROBLEM {
  lastProblem = problem;
  return PROBLEM;
}
function numeric(v: number | FieldProblem): number | typeof PROBLEM {
  return typeof v === 'string' ? fail(v) : v;
}

/** What generated code calls: one parser per field kind, plus the event's start and finish. */
const HELPERS = {
  PROBLEM,
  ABSENT,
  problem: (): FieldProblem => lastProblem,
  emptyEvent,
  string: (raw: unknown) => {
    if (typeof raw === 'string') return raw.length > 0 ? raw : ABSENT;
    if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
    return fail('wrong_type');
  },
  text: (raw: unknown) => (typeof raw === 'string' ? raw : fail('wrong_type')),
  level: (raw: unknown) => normalizeLevel(raw) ?? fail('wrong_type'),
  status: (raw: unknown) => statusFromValue(raw) ?? fail(typeof raw === 'number' ? 'out_of_range' : 'wrong_type'),
  http_status: (raw: unknown) => {
    const n = toNumber(raw);
    if (typeof n === 'string') return fail(n);
    return statusFromHttpCode(n) === undefined ? fail('out_of_range') : n;
  },
  duration: (raw: unknown, unit: DurationUnit, max: number) => numeric(toSeconds(raw, unit, max)),
  difference,
  ratio,
  list: (raw: unknown, mode: ListMode) => fromList(raw, mode),
  count: (raw: unknown, max: number) => numeric(toCount(raw, max)),
  bytes: (raw: unknown, unit: ByteUnit, max: number) => numeric(toBytes(raw, unit, max)),
  boolean: (raw: unknown) => {
    const b = toBoolean(raw);
    return typeof b === 'string' ? fail(b) : b;
  },
  timestamp: (raw: unknown, format: TimestampFormat) => numeric(toEpochSeconds(raw, format)),
  finish,
};

/** `minus`: path − minus, both in `unit` (two epoch timestamps, or two durations). */
function difference(raw: unknown, raw2: unknown, unit: DurationUnit, max: number): number | typeof PROBLEM {
  const a = toSeconds(raw, unit, Number.MAX_VALUE);
  if (typeof a === 'string') return fail(a);
  const b = toSeconds(raw2, unit, Number.MAX_VALUE);
  if (typeof b === 'string') return fail(b);
  const d = a - b;
  if (d < 0) return fail('negative');
  return d <= max ? d : fail('out_of_range');
}

/** `over`: round(path / over), both in `unit`; a count derived from two durations. */
function ratio(raw: unknown, raw2: unknown, unit: DurationUnit, max: number): number | typeof PROBLEM {
  const a = toSeconds(raw, unit, Number.MAX_VALUE);
  if (typeof a === 'string') return fail(a);
  const b = toSeconds(raw2, unit, Number.MAX_VALUE);
  if (typeof b === 'string') return fail(b);
  if (b === 0) return fail('out_of_range');
  const n = Math.round(a / b);
  return n <= max ? n : fail('out_of_range');
}

type FailureSteps = (line: Record<string, unknown>, onProblem: FieldProblemSink, e: InferenceEvent) => void;

/**
 * Settle the status — a recognized status word, else the HTTP code, else the level — then read the
 * error details of a request that did not succeed and name its error type when the log did not.
 */
function finish(
  e: InferenceEvent,
  status: RequestStatus | undefined,
  httpStatus: number | undefined,
  line: Record<string, unknown>,
  onProblem: FieldProblemSink,
  failureSteps: FailureSteps,
): InferenceEvent {
  const word = status !== undefined && status !== 'unknown' ? status : undefined;
  const fromCode = httpStatus !== undefined ? statusFromHttpCode(httpStatus) : undefined;
  const fromLevel = e.level !== undefined ? statusFromLevel(e.level) : undefined;
  e.status = word ?? fromCode ?? fromLevel ?? 'unknown';
  if (e.status !== 'success') {
    failureSteps(line, onProblem, e);
    if (e.errorType === undefined && e.status !== 'unknown') {
      e.errorType = httpStatus !== undefined && httpStatus >= 400 ? `http_${httpStatus}` : e.status;
    }
  }
  return e;
}

/** Every event starts with the same shape so V8 keeps one hidden class for all of them. */
function emptyEvent(): InferenceEvent {
  return {
    timestamp: undefined,
    requestId: undefined,
    model: undefined,
    status: 'unknown',
    errorType: undefined,
    errorMessage: undefined,
    level: undefined,
    endpoint: undefined,
    finishReason: undefined,
    e2eSeconds: undefined,
    ttftSeconds: undefined,
    queueSeconds: undefined,
    inferenceSeconds: undefined,
    tpotSeconds: undefined,
    promptTokens: undefined,
    completionTokens: undefined,
    gpuMemoryBytes: undefined,
    device: undefined,
    output: undefined,
    jsonMode: undefined,
    cachedTokens: undefined,
  };
}
