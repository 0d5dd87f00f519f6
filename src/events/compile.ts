import { MAPPABLE_FIELDS, type InferenceEvent, type MappableField, type RequestStatus } from './event.js';
import type { FieldSpec, MappingSpec } from './mapping-spec.js';
import { normalizeLevel, statusFromHttpCode, statusFromLevel, statusFromValue } from './status.js';
import {
  toBoolean,
  toBytes,
  toCount,
  toEpochSeconds,
  toNumber,
  toSeconds,
  type ByteUnit,
  type DurationUnit,
  type FieldProblem,
  type TimestampFormat,
} from './values.js';

/**
 * Mappings compiled to JavaScript. A mapping is data (paths, units, formats); running it through
 * a generic interpreter costs a megamorphic property lookup per path alternative — tens of ns, dozens
 * of times per line, more than JSON.parse itself. So each mapping becomes one generated function
 * with every key written as a literal: its property accesses have their own inline caches, which
 * stay monomorphic for the handful of shapes one log has.
 *
 * Safety: generated code contains only keys and units passed through JSON.stringify, event property
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
export function compilePath(path: string): Getter {
  const body = `if (root === null || typeof root !== 'object') return undefined;\nlet raw, t;\n${readInto('raw', path, 'root')}\nreturn raw;`;
  return new Function('root', body) as Getter;
}

/**
 * For `auto`: a function returning the index of the first candidate any of whose marker paths is
 * present in the line, or -1.
 */
export function compileDetector(candidates: readonly (readonly string[])[]): (line: Record<string, unknown>) => number {
  let body = 'let raw, t;\n';
  candidates.forEach((paths, i) => {
    for (const p of paths) body += `${readInto('raw', p, 'line')}\nif (raw !== undefined) return ${i};\n`;
  });
  body += 'return -1;';
  return new Function('line', body) as (line: Record<string, unknown>) => number;
}

export function compileMapping(name: string, spec: MappingSpec, limits: ValueLimits): CompiledMapping {
  assertFinite(limits);
  const entries = Object.entries(spec.fields).filter((e): e is [MappableField, FieldSpec] => e[1] !== undefined);
  // Error details matter only for requests that failed: reading them on every success line would
  // walk several absent paths per line for nothing.
  const main = entries.filter(([f]) => !FAILURE_ONLY.has(f));
  const failure = entries.filter(([f]) => FAILURE_ONLY.has(f));

  const failureSteps = new Function('h', `return function (line, onProblem, e) {\n  let raw, v, t;\n${failure.map(([field, fs]) => stepCode(field, fs, limits)).join('\n')}\n};`)(HELPERS);
  const extract = new Function(
    'h',
    'failure',
    `return function extract_${identifier(name)}(line, onProblem) {
  const e = h.emptyEvent();
  let raw, v, t, status, httpStatus;
${main.map(([field, fs]) => stepCode(field, fs, limits)).join('\n')}
  return h.finish(e, status, httpStatus, line, onProblem, failure);
};`,
  )(HELPERS, failureSteps) as CompiledMapping['extract'];

  const matchers = (spec.match ?? []).map((entry) =>
    Object.entries(entry).map(([path, rule]) => ({ get: compilePath(path), equals: rule.equals, present: rule.present ?? true })),
  );
  const isRequest = (line: Record<string, unknown>): boolean => {
    if (matchers.length === 0) return true;
    for (const conditions of matchers) {
      let all = true;
      for (const c of conditions) {
        const v = c.get(line);
        const present = v !== undefined && v !== null;
        if (c.equals !== undefined ? !present || !c.equals.includes(v as string | number | boolean) : present !== c.present) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  };

  return { name, isRequest, extract };
}

const FAILURE_ONLY = new Set<MappableField>(['error_type', 'error_message']);

/** Code that reads one field: find the raw value, parse it, store it or report the problem. */
function stepCode(field: MappableField, fs: FieldSpec, limits: ValueLimits): string {
  const { prop, kind } = MAPPABLE_FIELDS[field];
  const f = JSON.stringify(field);
  let parse: string;
  switch (kind) {
    case 'duration':
      parse = `h.duration(raw, ${JSON.stringify((fs.unit ?? 's') as DurationUnit)}, ${limits.maxDurationSeconds})`;
      break;
    case 'count':
      parse = `h.count(raw, ${limits.maxTokens})`;
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
  return `  ${readInto('raw', fs.path, 'line')}
  if (raw !== undefined && raw !== null) {
    v = ${parse};
    if (v === h.PROBLEM) onProblem(${f}, h.problem());
    else if (v !== h.ABSENT) ${store}
  }`;
}

/** Statements that set `target` to the first present alternative of `path`, read from `root`. */
function readInto(target: string, path: string, root: string): string {
  const alternatives = path.split('|').map((alt) => parseSegments(alt.trim()));
  return alternatives
    .map((segments, i) => {
      const read = `${target} = ${accessExpr(segments, root)};`;
      return i === 0 ? read : `if (${target} === undefined || ${target} === null) ${read}`;
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
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (m === null) throw new Error(`invalid path segment "${part}" in "${path}"`);
    if (m[1] !== '') segments.push(m[1] as string);
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
  count: (raw: unknown, max: number) => numeric(toCount(raw, max)),
  bytes: (raw: unknown, unit: ByteUnit, max: number) => numeric(toBytes(raw, unit, max)),
  boolean: (raw: unknown) => {
    const b = toBoolean(raw);
    return typeof b === 'string' ? fail(b) : b;
  },
  timestamp: (raw: unknown, format: TimestampFormat) => numeric(toEpochSeconds(raw, format)),
  finish,
};

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
  };
}
