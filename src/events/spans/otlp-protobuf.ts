import {
  addSpan,
  checkValueDepth,
  durationSeconds,
  emptySpan,
  idProblem,
  nanosFromHalves,
  OtlpDecodeError,
  setAttribute,
  spanKindName,
  statusCodeName,
  stringAttribute,
  type AttributeTree,
  type AttributeValue,
  type SpanBatch,
  type SpanRecord,
} from './span-record.js';
import { WireReader } from './wire.js';

/**
 * ExportTraceServiceRequest (opentelemetry-proto, collector/trace/v1) from protobuf bytes, by hand:
 * the handful of messages OTLP traces use, read field by field. Unknown fields are skipped, as
 * protobuf requires; anything structurally broken throws OtlpDecodeError (the whole body is 400).
 */

const LEN = 2;
const VARINT = 0;
const I64 = 1;

export function decodeTraceRequestProtobuf(buf: Buffer): SpanBatch {
  const batch: SpanBatch = { spans: [], rejected: 0, rejectReason: undefined };
  const r = new WireReader(buf);
  while (!r.done()) {
    const t = r.tag();
    const field = t >>> 3;
    const wt = t & 7;
    if (field === 1) {
      r.expect(LEN, wt, 'resource_spans');
      resourceSpans(r.sub(), batch);
    } else r.skip(wt);
  }
  return batch;
}

function resourceSpans(r: WireReader, batch: SpanBatch): void {
  let resource: AttributeTree = {};
  const scopes: WireReader[] = [];
  // The resource may follow its scope spans on the wire: read it first, then the spans.
  while (!r.done()) {
    const t = r.tag();
    const field = t >>> 3;
    const wt = t & 7;
    if (field === 1) {
      r.expect(LEN, wt, 'resource');
      resource = attributesOf(r.sub(), 1);
    } else if (field === 2) {
      r.expect(LEN, wt, 'scope_spans');
      scopes.push(r.sub());
    } else r.skip(wt);
  }
  for (const s of scopes) scopeSpans(s, resource, batch);
}

function scopeSpans(r: WireReader, resource: AttributeTree, batch: SpanBatch): void {
  const scope: SpanRecord['scope'] = { name: undefined, version: undefined };
  const spans: WireReader[] = [];
  while (!r.done()) {
    const t = r.tag();
    const field = t >>> 3;
    const wt = t & 7;
    if (field === 1) {
      r.expect(LEN, wt, 'scope');
      readScope(r.sub(), scope);
    } else if (field === 2) {
      r.expect(LEN, wt, 'span');
      spans.push(r.sub());
    } else r.skip(wt);
  }
  for (const s of spans) {
    const span = emptySpan(resource, scope);
    addSpan(batch, span, readSpan(s, span));
  }
}

function readScope(r: WireReader, scope: SpanRecord['scope']): void {
  while (!r.done()) {
    const t = r.tag();
    const field = t >>> 3;
    const wt = t & 7;
    if (field === 1 && wt === LEN) scope.name = r.string();
    else if (field === 2 && wt === LEN) scope.version = r.string();
    else r.skip(wt);
  }
}

/** Fills `span`; returns why the span is rejected (bad ids), or undefined. */
function readSpan(r: WireReader, span: SpanRecord): string | undefined {
  let traceBytes = 0;
  let spanBytes = 0;
  let start: [number, number] = [0, 0];
  let end: [number, number] = [0, 0];
  while (!r.done()) {
    const t = r.tag();
    const field = t >>> 3;
    const wt = t & 7;
    switch (field) {
      case 1:
        r.expect(LEN, wt, 'trace_id');
        [span.trace_id, traceBytes] = r.hex();
        break;
      case 2:
        r.expect(LEN, wt, 'span_id');
        [span.span_id, spanBytes] = r.hex();
        break;
      case 4:
        r.expect(LEN, wt, 'parent_span_id');
        span.parent_span_id = r.hex()[0] || undefined;
        break;
      case 5:
        r.expect(LEN, wt, 'name');
        span.name = r.string();
        break;
      case 6:
        r.expect(VARINT, wt, 'kind');
        span.kind = spanKindName(r.varint());
        break;
      case 7:
        r.expect(I64, wt, 'start_time_unix_nano');
        start = r.fixed64Halves();
        span.start_time_unix_nano = nanosFromHalves(...start) || undefined;
        break;
      case 8:
        r.expect(I64, wt, 'end_time_unix_nano');
        end = r.fixed64Halves();
        span.end_time_unix_nano = nanosFromHalves(...end) || undefined;
        break;
      case 9:
        r.expect(LEN, wt, 'attribute');
        keyValue(r.sub(), span.attributes, 0);
        break;
      case 15:
        r.expect(LEN, wt, 'status');
        readStatus(r.sub(), span.status);
        break;
      default:
        r.skip(wt);
    }
  }
  span.duration_seconds = durationSeconds(span.start_time_unix_nano, span.end_time_unix_nano, (end[1] - start[1]) * 4294967296 + (end[0] - start[0]));
  return idProblem(traceBytes, spanBytes, span.trace_id, span.span_id);
}

function readStatus(r: WireReader, status: SpanRecord['status']): void {
  while (!r.done()) {
    const t = r.tag();
    const field = t >>> 3;
    const wt = t & 7;
    if (field === 2 && wt === LEN) status.message = r.string() || undefined;
    else if (field === 3 && wt === VARINT) status.code = statusCodeName(r.varint());
    else r.skip(wt);
  }
}

/** Resource { repeated KeyValue attributes = 1 } and KeyValueList { repeated KeyValue values = 1 }. */
function attributesOf(r: WireReader, depth: number): AttributeTree {
  const tree: AttributeTree = {};
  while (!r.done()) {
    const t = r.tag();
    const field = t >>> 3;
    const wt = t & 7;
    if (field === 1) {
      r.expect(LEN, wt, 'attribute');
      keyValue(r.sub(), tree, depth);
    } else r.skip(wt);
  }
  return tree;
}

function keyValue(r: WireReader, tree: AttributeTree, depth: number): void {
  let key: string | undefined;
  let value: AttributeValue = null;
  while (!r.done()) {
    const t = r.tag();
    const field = t >>> 3;
    const wt = t & 7;
    if (field === 1 && wt === LEN) key = r.key();
    else if (field === 2 && wt === LEN) value = anyValue(r.sub(), depth + 1);
    else r.skip(wt);
  }
  if (key !== undefined && key !== '') setAttribute(tree, key, value);
}

function anyValue(r: WireReader, depth: number): AttributeValue {
  checkValueDepth(depth);
  let value: AttributeValue = null;
  while (!r.done()) {
    const t = r.tag();
    const field = t >>> 3;
    const wt = t & 7;
    switch (field * 8 + wt) {
      case 1 * 8 + LEN:
        value = stringAttribute(r.string());
        break;
      case 2 * 8 + VARINT:
        value = r.varint() !== 0;
        break;
      case 3 * 8 + VARINT:
        value = r.int64();
        break;
      case 4 * 8 + I64:
        value = r.double();
        break;
      case 5 * 8 + LEN: {
        const list: AttributeValue[] = [];
        const a = r.sub();
        while (!a.done()) {
          const at = a.tag();
          const f = at >>> 3;
          const w = at & 7;
          if (f === 1 && w === LEN) list.push(anyValue(a.sub(), depth + 1));
          else a.skip(w);
        }
        value = list;
        break;
      }
      case 6 * 8 + LEN:
        value = attributesOf(r.sub(), depth + 1);
        break;
      case 7 * 8 + LEN:
        value = r.buf.toString('base64', ...r.bytes());
        break;
      default:
        r.skip(wt);
    }
  }
  return value;
}
