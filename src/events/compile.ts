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
} from './values.js';

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
  const alternatives = path.split('|').map((alt) => parseSegments(alt.trim()));
  if (alternatives.length === 1) {
    const only = alternatives[0] as (string | number)[];
    return (root) => walk(root, only);
  }
  return (root) => {
    for (const segments of alternatives) {
      const v = walk(root, segments);
      if (v !== undefined && v !== null) return v;
    }
    return undefined;
  };
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

function walk(root: unknown, segments: readonly (string | number)[]): unknown {
  let v = root;
  for (let i = 0; i < segments.length; i++) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[segments[i] as string | number];
  }
  return v;
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

interface Step {
  field: MappableField;
  get: Getter;
  spec: FieldSpec;
}

export function compileMapping(name: string, spec: MappingSpec, limits: ValueLimits): CompiledMapping {
  const steps: Step[] = [];
  for (const [field, fs] of Object.entries(spec.fields) as [MappableField, FieldSpec | undefined][]) {
    if (fs !== undefined) steps.push({ field, get: compilePath(fs.path), spec: fs });
  }
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

  const extract = (line: Record<string, unknown>, onProblem: FieldProblemSink): InferenceEvent => {
    const event = emptyEvent();
    let status: RequestStatus | undefined;
    let httpStatus: number | undefined;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as Step;
      const raw = step.get(line);
      if (raw === undefined || raw === null) continue;
      const value = parseField(step, raw, limits);
      if (value === ABSENT) continue;
      if (value === PROBLEM) {
        onProblem(step.field, lastProblem);
        continue;
      }
      switch (step.field) {
        case 'status':
          status = value as RequestStatus;
          break;
        case 'http_status':
          httpStatus = value as number;
          break;
        default:
          assign(event, step.field, value);
      }
    }
    event.status = status ?? (httpStatus !== undefined ? (statusFromHttpCode(httpStatus) ?? 'unknown') : undefined) ?? (event.level !== undefined ? statusFromLevel(event.level) : 'unknown');
    if (event.status === 'success') {
      event.errorType = undefined;
    } else if (event.errorType === undefined && event.status !== 'unknown') {
      event.errorType = httpStatus !== undefined && httpStatus >= 400 ? `http_${httpStatus}` : event.status;
    }
    return event;
  };

  return { name, isRequest, extract };
}

// parseField's two non-values. Symbols, not strings, so no real field value can be mistaken for
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

function parseField(step: Step, raw: unknown, limits: ValueLimits): unknown {
  const { spec } = step;
  switch (MAPPABLE_FIELDS[step.field].kind) {
    case 'string':
      if (typeof raw === 'string') return raw.length > 0 ? raw : ABSENT;
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      return fail('wrong_type');
    case 'text':
      return typeof raw === 'string' ? raw : fail('wrong_type');
    case 'level':
      return normalizeLevel(raw) ?? fail('wrong_type');
    case 'status':
      return statusFromValue(raw) ?? fail(typeof raw === 'number' ? 'out_of_range' : 'wrong_type');
    case 'http_status': {
      const n = toNumber(raw);
      if (typeof n === 'string') return fail(n);
      return statusFromHttpCode(n) === undefined ? fail('out_of_range') : n;
    }
    case 'duration':
      return numeric(toSeconds(raw, (spec.unit ?? 's') as DurationUnit, limits.maxDurationSeconds));
    case 'count':
      return numeric(toCount(raw, limits.maxTokens));
    case 'bytes':
      return numeric(toBytes(raw, (spec.unit ?? 'B') as ByteUnit, limits.maxBytes));
    case 'boolean': {
      const b = toBoolean(raw);
      return typeof b === 'string' ? fail(b) : b;
    }
    case 'timestamp':
      return numeric(toEpochSeconds(raw, spec.format ?? 'auto'));
  }
}

function assign(event: InferenceEvent, field: Exclude<MappableField, 'status' | 'http_status'>, value: unknown): void {
  switch (field) {
    case 'timestamp':
      event.timestamp = value as number;
      break;
    case 'request_id':
      event.requestId = value as string;
      break;
    case 'model':
      event.model = value as string;
      break;
    case 'level':
      event.level = value as string;
      break;
    case 'error_type':
      event.errorType = value as string;
      break;
    case 'error_message':
      event.errorMessage = value as string;
      break;
    case 'endpoint':
      event.endpoint = value as string;
      break;
    case 'finish_reason':
      event.finishReason = value as string;
      break;
    case 'e2e_latency':
      event.e2eSeconds = value as number;
      break;
    case 'time_to_first_token':
      event.ttftSeconds = value as number;
      break;
    case 'queue_time':
      event.queueSeconds = value as number;
      break;
    case 'inference_time':
      event.inferenceSeconds = value as number;
      break;
    case 'time_per_output_token':
      event.tpotSeconds = value as number;
      break;
    case 'prompt_tokens':
      event.promptTokens = value as number;
      break;
    case 'completion_tokens':
      event.completionTokens = value as number;
      break;
    case 'gpu_memory':
      event.gpuMemoryBytes = value as number;
      break;
    case 'device':
      event.device = value as string;
      break;
    case 'output':
      event.output = value as string;
      break;
    case 'json_mode':
      event.jsonMode = value as boolean;
      break;
  }
}
