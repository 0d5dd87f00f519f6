import type { Socket } from 'node:net';
import type { Request, Response } from 'express';
import type { Pipeline } from '../pipeline/pipeline.js';
import { LINE_RESULTS } from '../pipeline/line-stats.js';
import { readBody } from './read-body.js';
import type { Source, SourceStatus } from './source.js';

/** Content types that can carry JSON lines. */
const JSONL_TYPES = new Set(['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/json', 'text/plain']);

/**
 * POST /ingest: a JSONL body goes through the same pipeline as a tailed file. The body is read
 * whole (up to the limit) before any line is counted, so a 413 means nothing from it was counted
 * and the client can resend it safely.
 */
export class HttpIngest implements Source {
  readonly kind = 'ingest';
  requests = 0;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly maxBodyBytes: number,
    /**
     * Runs after a body is counted and before it is acknowledged (the checkpoint); false when what
     * was counted is not durable (the checkpoint write failed).
     */
    private readonly afterCount: () => boolean = () => true,
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status(): SourceStatus {
    return { kind: this.kind, ready: true, detail: { requests: this.requests } };
  }

  readonly handle = (req: Request, res: Response): void => {
    const type = (req.headers['content-type'] ?? 'application/x-ndjson').split(';')[0]!.trim().toLowerCase();
    if (!JSONL_TYPES.has(type)) {
      res.status(415).json({ error: 'unsupported_media_type', message: `expected JSON lines (${[...JSONL_TYPES].join(', ')}), got ${type}` });
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.maxBodyBytes) {
      this.tooLarge(req, res);
      return;
    }
    readBody(req, this.maxBodyBytes, () => this.tooLarge(req, res), (chunks, size) => {
      this.requests++;
      const before = Float64Array.from(this.pipeline.stats.results);
      const splitter = this.pipeline.splitter();
      for (const c of chunks) splitter.push(c);
      splitter.flush();
      const durable = this.afterCount();
      const counts: Record<string, number> = {};
      LINE_RESULTS.forEach((r, i) => (counts[r] = (this.pipeline.stats.results[i] as number) - (before[i] as number)));
      // Counted either way; `durable: false` says a crash now would lose it. Not a 5xx: a resend
      // would count the body twice.
      res.json({ accepted: counts.ok, invalid: counts.invalid, unmapped: counts.unmapped, empty: counts.empty, bytes: size, durable });
    });
  };

  private tooLarge(req: Request, res: Response): void {
    lingeringClose(req.socket);
    res.status(413).set('Connection', 'close').json({ error: 'payload_too_large', limit_bytes: this.maxBodyBytes, accepted: 0 });
    // The rest of an oversized body is discarded as it arrives (never buffered) until the close.
    req.unpipe();
    req.resume();
  }
}

/** How long a connection refused with 413 still reads (and discards) after its answer. */
const LINGER_MS = 500;

/**
 * Node closes a `Connection: close` response's socket as soon as the answer is flushed. With the
 * client still sending its body, closing a socket with unread data sends a TCP reset, and the
 * client typically gets EPIPE/ECONNRESET instead of the 413 it was sent. So: send the answer and
 * a FIN, keep reading (and discarding) for LINGER_MS, then close — what Go's net/http does for
 * the same reason (rstAvoidanceDelay). Memory stays bounded: nothing read is kept.
 */
export function lingeringClose(socket: Socket): void {
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}
