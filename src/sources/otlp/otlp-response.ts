/**
 * OTLP/HTTP response bodies, in the encoding of the request (protobuf or JSON):
 * ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1 } with
 * { int64 rejected_spans = 1; string error_message = 2 }, and for failures google.rpc.Status
 * { int32 code = 1; string message = 2 }. Hand-encoded: two tiny messages need no library.
 */

export type OtlpEncoding = 'protobuf' | 'json';

export const CONTENT_TYPES: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** gRPC status codes the Status body carries (google/rpc/code.proto). */
export const RPC_CODE = { INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, INTERNAL: 13 } as const;

export function exportResponse(encoding: OtlpEncoding, rejectedSpans: number, errorMessage: string | undefined): Buffer | string {
  const partial = rejectedSpans > 0 || errorMessage !== undefined;
  if (encoding === 'json') {
    // An empty partialSuccess means full success; it is left out rather than sent empty.
    return JSON.stringify(partial ? { partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage: errorMessage ?? '' } } : {});
  }
  if (!partial) return Buffer.alloc(0);
  const inner = Buffer.concat([rejectedSpans > 0 ? Buffer.concat([tag(1, 0), varint(rejectedSpans)]) : Buffer.alloc(0), stringField(2, errorMessage ?? '')]);
  return Buffer.concat([tag(1, 2), varint(inner.length), inner]);
}

export function statusBody(encoding: OtlpEncoding, code: number, message: string): Buffer | string {
  if (encoding === 'json') return JSON.stringify({ code, message });
  return Buffer.concat([tag(1, 0), varint(code), stringField(2, message)]);
}

function tag(field: number, wireType: number): Buffer {
  return varint(field * 8 + wireType);
}

function stringField(field: number, s: string): Buffer {
  if (s === '') return Buffer.alloc(0);
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([tag(field, 2), varint(bytes.length), bytes]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}
