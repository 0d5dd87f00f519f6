/**
 * One OpenTelemetry span as a plain object, the shape a span mapping's paths read. Both OTLP
 * encodings (protobuf and JSON) decode into it, so one mapping serves both:
 *
 *   name, kind ("SERVER", "CLIENT", …), trace_id / span_id / parent_span_id (hex),
 *   start_time_unix_nano / end_time_unix_nano (numbers), duration_seconds,
 *   status.code ("OK" | "ERROR"; absent when UNSET), status.message,
 *   attributes.<key> — dotted attribute keys become nested objects, so the mapping path
 *   `attributes.gen_ai.latency.e2e` reads the attribute "gen_ai.latency.e2e",
 *   resource.<key> (the resource's attributes, nested the same way), scope.name, scope.version.
 */
export interface SpanRecord {
  name: string;
  kind: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string | undefined;
  /** Absent when 0 (unset). */
  start_time_unix_nano: number | undefined;
  end_time_unix_nano: number | undefined;
  duration_seconds: number | undefined;
  status: { code: 'OK' | 'ERROR' | undefined; message: string | undefined };
  attributes: AttributeTree;
  resource: AttributeTree;
  scope: { name: string | undefined; version: string | undefined };
}

export type AttributeValue = string | number | boolean | null | AttributeValue[] | AttributeTree;
export interface AttributeTree {
  [key: string]: AttributeValue;
}

/** OTLP SpanKind by its enum number (trace.proto). */
export const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;

export function spanKindName(n: number): string {
  return SPAN_KINDS[n] ?? 'UNSPECIFIED';
}

/** OTLP Status.code: 0 UNSET (absent here), 1 OK, 2 ERROR. */
export function statusCodeName(n: number): 'OK' | 'ERROR' | undefined {
  return n === 1 ? 'OK' : n === 2 ? 'ERROR' : undefined;
}

/**
 * Store an attribute under its dotted key as nested objects ("a.b.c" → tree.a.b.c). A key that
 * collides with one already stored (a value where "a.b" needs an object, or the reverse) keeps the
 * first: no mapping can rely on both, and neither is lost silently to a later duplicate.
 */
export function setAttribute(tree: AttributeTree, key: string, value: AttributeValue): void {
  const parts = keyParts(key);
  if (parts.length === 1) {
    if (tree[key] === undefined) tree[key] = value;
    return;
  }
  let node = tree;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const next = node[part];
    if (next === undefined) {
      const child: AttributeTree = {};
      node[part] = child;
      node = child;
    } else if (next !== null && typeof next === 'object' && !Array.isArray(next)) {
      node = next;
    } else {
      return;
    }
  }
  const leaf = parts[parts.length - 1] as string;
  if (node[leaf] === undefined) node[leaf] = value;
}

/**
 * A server sends the same dozen attribute keys on every span: each is split once. Bounded, so a
 * client sending ever-new keys costs a refill, not memory.
 */
const KEY_PARTS = new Map<string, readonly string[]>();
const MAX_CACHED_KEYS = 4096;

function keyParts(key: string): readonly string[] {
  let parts = KEY_PARTS.get(key);
  if (parts === undefined) {
    if (KEY_PARTS.size >= MAX_CACHED_KEYS) KEY_PARTS.clear();
    parts = key.split('.');
    KEY_PARTS.set(key, parts);
  }
  return parts;
}

/**
 * vLLM writes list-valued attributes as JSON text (`gen_ai.response.finish_reasons` is
 * `json.dumps(["stop"])`): a string that is a JSON array of scalars is read as that array, so a
 * mapping can say `…finish_reasons[0]`. Anything else stays the string it was.
 */
export function stringAttribute(s: string): AttributeValue {
  if (s.length < 2 || s.charCodeAt(0) !== 91 /* [ */ || s.charCodeAt(s.length - 1) !== 93 /* ] */) return s;
  try {
    const v: unknown = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) return v as AttributeValue[];
  } catch {
    // Not JSON: an ordinary string that happens to be bracketed.
  }
  return s;
}

/** Nanoseconds (possibly beyond 2^53, so float) from the two halves of a fixed64. */
export function nanosFromHalves(lo: number, hi: number): number {
  return hi * 4294967296 + lo;
}

/**
 * End minus start in seconds. Epoch nanoseconds exceed 2^53, so as doubles they are only good to
 * ~256 ns: each decoder passes the difference computed exactly from the raw parts instead.
 */
export function durationSeconds(startNs: number | undefined, endNs: number | undefined, exactDiffNs: number): number | undefined {
  return startNs !== undefined && endNs !== undefined && exactDiffNs >= 0 ? exactDiffNs / 1e9 : undefined;
}

/** A span's fields before attributes arrive, each with one fixed shape (one hidden class). */
export function emptySpan(resource: AttributeTree, scope: SpanRecord['scope']): SpanRecord {
  return {
    name: '',
    kind: 'UNSPECIFIED',
    trace_id: '',
    span_id: '',
    parent_span_id: undefined,
    start_time_unix_nano: undefined,
    end_time_unix_nano: undefined,
    duration_seconds: undefined,
    status: { code: undefined, message: undefined },
    attributes: {},
    resource,
    scope,
  };
}

/** What either decoder returns: the spans it could read, and how many it had to reject and why. */
export interface SpanBatch {
  spans: SpanRecord[];
  rejected: number;
  /** The first rejection's reason, for the response's errorMessage. */
  rejectReason: string | undefined;
}

/** Add a decoded span to the batch, or count it as rejected with the first reason kept. */
export function addSpan(batch: SpanBatch, span: SpanRecord, problem: string | undefined): void {
  if (problem === undefined) batch.spans.push(span);
  else {
    batch.rejected++;
    batch.rejectReason ??= problem;
  }
}

/** A request body that cannot be read at all (answered 400; nothing from it is counted). */
export class OtlpDecodeError extends Error {}

/** Nesting of array/kvlist attribute values beyond this is refused (a stack-depth bomb), in either encoding. */
const MAX_VALUE_DEPTH = 16;

export function checkValueDepth(depth: number): void {
  if (depth > MAX_VALUE_DEPTH) throw new OtlpDecodeError(`attribute values nested deeper than ${MAX_VALUE_DEPTH}`);
}

/** Ids must be 16 (trace) and 8 (span) bytes; an all-zero id is invalid (OTLP trace.proto). */
export function idProblem(traceIdBytes: number, spanIdBytes: number, traceHex: string, spanHex: string): string | undefined {
  if (traceIdBytes !== 16 || /^0*$/.test(traceHex)) return 'invalid trace_id';
  if (spanIdBytes !== 8 || /^0*$/.test(spanHex)) return 'invalid span_id';
  return undefined;
}
