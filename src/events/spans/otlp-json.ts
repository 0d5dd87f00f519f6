import {
  addSpan,
  checkValueDepth,
  durationSeconds,
  emptySpan,
  idProblem,
  OtlpDecodeError,
  setAttribute,
  SPAN_KINDS,
  spanKindName,
  statusCodeName,
  stringAttribute,
  type AttributeTree,
  type AttributeValue,
  type SpanBatch,
  type SpanRecord,
} from './span-record.js';

/**
 * ExportTraceServiceRequest in the OTLP JSON encoding (already parsed): lowerCamelCase field
 * names, hex trace/span ids, int64 as a string or a number, enums as integers (their names are
 * accepted too). Checked by hand rather than with a schema: this runs once per span on the
 * receiver's hot path. A broken envelope throws OtlpDecodeError; a broken span is rejected alone.
 */

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A repeated field: absent or null is empty; anything else must be an array. */
function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${what} is not an array`);
  return v;
}

export function decodeTraceRequestJson(body: unknown): SpanBatch {
  if (!isObject(body)) throw new OtlpDecodeError('the body is not a JSON object');
  const batch: SpanBatch = { spans: [], rejected: 0, rejectReason: undefined };
  for (const rs of list(body.resourceSpans, 'resourceSpans')) {
    if (!isObject(rs)) throw new OtlpDecodeError('a resourceSpans entry is not an object');
    const resource = isObject(rs.resource) ? attributeTree(rs.resource.attributes, 1) : {};
    for (const ss of list(rs.scopeSpans, 'scopeSpans')) {
      if (!isObject(ss)) throw new OtlpDecodeError('a scopeSpans entry is not an object');
      const scope: SpanRecord['scope'] = {
        name: isObject(ss.scope) && typeof ss.scope.name === 'string' ? ss.scope.name : undefined,
        version: isObject(ss.scope) && typeof ss.scope.version === 'string' ? ss.scope.version : undefined,
      };
      for (const raw of list(ss.spans, 'spans')) {
        const span = emptySpan(resource, scope);
        addSpan(batch, span, readSpan(raw, span));
      }
    }
  }
  return batch;
}

function readSpan(raw: unknown, span: SpanRecord): string | undefined {
  if (!isObject(raw)) return 'a span is not an object';
  const traceId = hexId(raw.traceId);
  const spanId = hexId(raw.spanId);
  const problem = idProblem(traceId.length / 2, spanId.length / 2, traceId, spanId);
  if (problem !== undefined) return problem;
  span.trace_id = traceId;
  span.span_id = spanId;
  const parent = hexId(raw.parentSpanId);
  span.parent_span_id = parent === '' ? undefined : parent;
  if (raw.name !== undefined && typeof raw.name !== 'string') return 'span name is not a string';
  span.name = raw.name ?? '';
  const kind = enumValue(raw.kind, 'SPAN_KIND_', SPAN_KINDS);
  if (kind === undefined) return 'span kind is not a SpanKind';
  span.kind = spanKindName(kind);
  const start = int64(raw.startTimeUnixNano);
  const end = int64(raw.endTimeUnixNano);
  if (start === undefined || end === undefined) return 'span times are not int64 values';
  span.start_time_unix_nano = start || undefined;
  span.end_time_unix_nano = end || undefined;
  span.duration_seconds = durationSeconds(span.start_time_unix_nano, span.end_time_unix_nano, exactDiff(raw.startTimeUnixNano, raw.endTimeUnixNano, start, end));
  if (raw.attributes !== undefined && raw.attributes !== null && !Array.isArray(raw.attributes)) return 'span attributes are not an array';
  try {
    readAttributes(raw.attributes as unknown[] | undefined, span.attributes, 0);
  } catch (err) {
    if (err instanceof OtlpDecodeError) return err.message;
    throw err;
  }
  if (isObject(raw.status)) {
    const code = enumValue(raw.status.code, 'STATUS_CODE_', ['UNSET', 'OK', 'ERROR']);
    if (code === undefined) return 'span status code is not a StatusCode';
    span.status.code = statusCodeName(code);
    if (typeof raw.status.message === 'string' && raw.status.message !== '') span.status.message = raw.status.message;
  }
  return undefined;
}

/** Hex ids as written; an id that is not hex reads as empty (and is then rejected as invalid). */
function hexId(v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  return typeof v === 'string' && v.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(v) ? v.toLowerCase() : 'x';
}

/** int64 as JSON: a decimal string or a number; absent is 0 (the protobuf default). */
function int64(v: unknown): number | undefined {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return Number(v);
  return undefined;
}

/**
 * end − start in ns, exact when both are decimal strings (the usual JSON form): split into seconds
 * and nanoseconds, each exact as a double. Numbers above 2^53 were already rounded by JSON.parse.
 */
function exactDiff(rawStart: unknown, rawEnd: unknown, start: number, end: number): number {
  if (typeof rawStart === 'string' && typeof rawEnd === 'string' && rawStart.length > 9 && rawEnd.length > 9) {
    const s = (x: string) => Number(x.slice(0, -9));
    const ns = (x: string) => Number(x.slice(-9));
    return (s(rawEnd) - s(rawStart)) * 1e9 + (ns(rawEnd) - ns(rawStart));
  }
  return end - start;
}

/** An enum as its number (what OTLP JSON requires) or, leniently, its name. */
function enumValue(v: unknown, prefix: string, names: readonly string[]): number | undefined {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v === 'string') {
    const i = names.indexOf(v.startsWith(prefix) ? v.slice(prefix.length) : v);
    return i === -1 ? undefined : i;
  }
  return undefined;
}

function attributeTree(v: unknown, depth: number): AttributeTree {
  const tree: AttributeTree = {};
  try {
    readAttributes(Array.isArray(v) ? v : undefined, tree, depth);
  } catch (err) {
    // A resource's broken attribute costs that attribute only: the spans under it are still valid.
    if (!(err instanceof OtlpDecodeError)) throw err;
  }
  return tree;
}

function readAttributes(kvs: unknown[] | undefined, tree: AttributeTree, depth: number): void {
  if (kvs === undefined || kvs === null) return;
  for (const kv of kvs) {
    if (!isObject(kv) || typeof kv.key !== 'string') throw new OtlpDecodeError('an attribute is not a {key, value} object');
    if (kv.key !== '') setAttribute(tree, kv.key, anyValue(kv.value, depth + 1));
  }
}

function anyValue(v: unknown, depth: number): AttributeValue {
  checkValueDepth(depth);
  if (!isObject(v)) return null;
  if (typeof v.stringValue === 'string') return stringAttribute(v.stringValue);
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (v.intValue !== undefined) {
    const n = int64(v.intValue);
    if (n === undefined) throw new OtlpDecodeError('intValue is not an int64');
    return n;
  }
  if (v.doubleValue !== undefined) return double(v.doubleValue);
  if (isObject(v.arrayValue)) return list(v.arrayValue.values, 'arrayValue.values').map((x) => anyValue(x, depth + 1));
  if (isObject(v.kvlistValue)) {
    const tree: AttributeTree = {};
    readAttributes(list(v.kvlistValue.values, 'kvlistValue.values'), tree, depth + 1);
    return tree;
  }
  if (typeof v.bytesValue === 'string') return v.bytesValue;
  return null;
}

/** A double as JSON: a number, or "NaN" / "Infinity" / "-Infinity" (protobuf JSON mapping). */
function double(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new OtlpDecodeError('doubleValue is not a number');
}
