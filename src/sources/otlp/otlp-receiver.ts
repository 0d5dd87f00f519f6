import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Request, Response } from 'express';
import { decodeTraceRequestJson } from '../../events/spans/otlp-json.js';
import { decodeTraceRequestProtobuf } from '../../events/spans/otlp-protobuf.js';
import { OtlpDecodeError, type SpanBatch } from '../../events/spans/span-record.js';
import type { TokenBucket } from '../../exposition/web/limits.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import { lingeringClose } from '../http-ingest.js';
import { readBody } from '../read-body.js';
import type { Source, SourceStatus } from '../source.js';
import { CONTENT_TYPES, exportResponse, RPC_CODE, statusBody, type OtlpEncoding } from './otlp-response.js';

const gunzipAsync = promisify(gunzip);

/** How each export request ended, for llmtail_otlp_requests_total. */
export const OTLP_REQUEST_RESULTS = ['ok', 'partial', 'bad_request', 'too_large', 'unsupported_media_type', 'rate_limited'] as const;
export type OtlpRequestResult = (typeof OTLP_REQUEST_RESULTS)[number];

export interface OtlpReceiverOptions {
  /** Largest body, before and after gzip (a small gzip body can inflate to gigabytes). */
  maxBodyBytes: number;
  bucket: TokenBucket;
  /**
   * Runs after a request's spans are counted and before the answer (the checkpoint); false when
   * what was counted is not durable. `stateful`: whether there is a checkpoint to write at all.
   */
  afterCount: () => boolean;
  stateful: boolean;
}

/**
 * POST /v1/traces (OTLP/HTTP): protobuf or JSON, optionally gzip. The body is read whole and
 * decoded before any span is counted, so every 4xx means nothing from it was counted and an
 * exporter may resend it; a 200 is sent only after the counts are in the checkpoint.
 */
export class OtlpReceiver implements Source {
  readonly kind = 'otlp';
  readonly results = new Float64Array(OTLP_REQUEST_RESULTS.length);

  constructor(
    private readonly pipeline: Pipeline,
    private readonly options: OtlpReceiverOptions,
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status(): SourceStatus {
    return { kind: this.kind, ready: true, detail: { requests: this.results.reduce((a, b) => a + b, 0) } };
  }

  readonly handle = (req: Request, res: Response): void => {
    const encoding = encodingOf(req.headers['content-type']);
    if (encoding === undefined) {
      this.count('unsupported_media_type');
      res.status(415).type('text/plain').send(`unsupported Content-Type; expected ${CONTENT_TYPES.protobuf} or ${CONTENT_TYPES.json}\n`);
      return;
    }
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (contentEncoding !== 'gzip' && contentEncoding !== 'identity') {
      this.count('unsupported_media_type');
      this.fail(res, encoding, 415, RPC_CODE.INVALID_ARGUMENT, `unsupported Content-Encoding ${contentEncoding}; expected gzip or none`);
      return;
    }
    if (!this.options.bucket.take()) {
      this.count('rate_limited');
      res.set('Retry-After', '1');
      this.fail(res, encoding, 429, RPC_CODE.RESOURCE_EXHAUSTED, 'too many export requests; retry later');
      return;
    }
    if (Number(req.headers['content-length'] ?? NaN) > this.options.maxBodyBytes) {
      this.tooLarge(req, res, encoding);
      return;
    }
    readBody(req, this.options.maxBodyBytes, () => this.tooLarge(req, res, encoding), (chunks, size) => {
      const body = Buffer.concat(chunks, size);
      if (contentEncoding === 'gzip') {
        gunzipAsync(body, { maxOutputLength: this.options.maxBodyBytes }).then(
          (plain) => this.accept(plain, encoding, res),
          (err: NodeJS.ErrnoException) => {
            if (err.code === 'ERR_BUFFER_TOO_LARGE') this.tooLarge(req, res, encoding);
            else this.badRequest(res, encoding, 'the body is not valid gzip');
          },
        );
      } else this.accept(body, encoding, res);
    });
  };

  /** Decode, count, checkpoint, answer: synchronous from the decode on, so no scrape sees half. */
  private accept(body: Buffer, encoding: OtlpEncoding, res: Response): void {
    let batch: SpanBatch;
    try {
      batch = encoding === 'protobuf' ? decodeTraceRequestProtobuf(body) : decodeTraceRequestJson(JSON.parse(body.toString('utf8')));
    } catch (err) {
      if (err instanceof OtlpDecodeError) return this.badRequest(res, encoding, `malformed ExportTraceServiceRequest: ${err.message}`);
      if (err instanceof SyntaxError) return this.badRequest(res, encoding, 'the body is not valid JSON');
      // A decoder bug: nothing was counted yet, and this runs outside Express's error handling
      // (a body callback or a promise), so it is answered here rather than thrown.
      this.count('bad_request');
      return this.fail(res, encoding, 500, RPC_CODE.INTERNAL, 'internal error while decoding the request');
    }
    this.pipeline.spanStats.rejected(batch.rejected);
    this.pipeline.spans(batch.spans);
    const durable = this.options.afterCount();
    // Counted either way: a 5xx would make the exporter resend, and count it twice. A warning in
    // partial_success (rejected 0) says a crash now would lose it.
    const warning = this.options.stateful && !durable ? 'spans were counted but the checkpoint could not be written; a crash now would lose them' : undefined;
    const message = batch.rejected > 0 ? `${batch.rejected} span(s) rejected: ${batch.rejectReason ?? 'malformed'}${warning !== undefined ? `; ${warning}` : ''}` : warning;
    this.count(batch.rejected > 0 ? 'partial' : 'ok');
    res.status(200).type(CONTENT_TYPES[encoding]).send(exportResponse(encoding, batch.rejected, message));
  }

  private badRequest(res: Response, encoding: OtlpEncoding, message: string): void {
    this.count('bad_request');
    this.fail(res, encoding, 400, RPC_CODE.INVALID_ARGUMENT, message);
  }

  private tooLarge(req: Request, res: Response, encoding: OtlpEncoding): void {
    this.count('too_large');
    lingeringClose(req.socket);
    res.set('Connection', 'close');
    this.fail(res, encoding, 413, RPC_CODE.RESOURCE_EXHAUSTED, `the export request is larger than ${this.options.maxBodyBytes} bytes (before or after gzip); nothing from it was counted`);
    // The rest of an oversized body is discarded as it arrives (never buffered) until the close.
    req.unpipe();
    req.resume();
  }

  private fail(res: Response, encoding: OtlpEncoding, http: number, rpc: number, message: string): void {
    if (res.headersSent) return;
    res.status(http).type(CONTENT_TYPES[encoding]).send(statusBody(encoding, rpc, message));
  }

  private count(result: OtlpRequestResult): void {
    this.results[OTLP_REQUEST_RESULTS.indexOf(result)]!++;
  }
}

function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}
