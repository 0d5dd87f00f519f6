import { parseListenAddress } from './listen-address.js';
import type { Server, ServerOptions as HttpServerOptions } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { HttpIngest } from '../sources/http-ingest.js';
import type { OtlpReceiver } from '../sources/otlp/otlp-receiver.js';
import type { Source } from '../sources/source.js';
import { incidentsRouter, type IncidentSource } from './incidents-api.js';
import type { LiveAssets } from './live/assets.js';
import { liveRouter } from './live/live-router.js';
import type { LiveRecorder } from './live/recorder.js';
import { BasicAuth } from './web/basic-auth.js';
import { concurrencyLimit, rateLimit, TokenBucket } from './web/limits.js';
import { NO_WEB_SECURITY, type TlsSettings, type WebSecurity } from './web/web-config.js';
import { MetricsRegistry } from './registry.js';

/**
 * The CommonJS module, not an ES import: importing node:http as ESM enumerates its exports, and its
 * lazy WebSocket getters then load Node's bundled undici (~0.8 MB of source, ~1.5 MiB RSS)
 * that the sidecar never uses. node:https (and with it node:tls) loads only with TLS on.
 */
const nodeHttp = process.getBuiltinModule('node:http');

const gzipAsync = promisify(gzip);

export interface ServerOptions {
  listenAddress: string;
  telemetryPath: string;
  gzip: boolean;
  /** TLS and basic-auth users from web.config_file (none by default). */
  security?: WebSecurity;
  healthzWithoutAuth?: boolean;
  maxConcurrentScrapes?: number;
  ingestRatePerSecond?: number;
}

export interface ServerDeps {
  registry: MetricsRegistry;
  sources: () => readonly Source[];
  ingest?: HttpIngest;
  /** POST /v1/traces (web.enable_otlp). */
  otlp?: OtlpReceiver;
  log: Logger;
  /** Runs before each scrape is rendered (the checkpoint: no scrape may show state a restart would lose). */
  beforeScrape?: () => void;
  /** Error bursts for /api/incidents (absent when anomaly signals are off). */
  incidents?: IncidentSource;
  /** The live page at / and /api/series (absent when ui.enabled is false: / lists the endpoints). */
  live?: { recorder: LiveRecorder; assets: LiveAssets };
}

/** Does the client prefer OpenMetrics? (Prometheus asks for it first when it wants exemplars.) */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/openmetrics-text');
}

export function createApp(options: ServerOptions, deps: ServerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const security = options.security ?? NO_WEB_SECURITY;
  if (security.tls !== undefined) app.use(clientCertPolicy(security.tls));
  // Authentication first: every endpoint (but /healthz by choice) needs it, even to learn a 404 or 405.
  if (security.users.size > 0) {
    app.use(new BasicAuth(security.users, { open: new Set(options.healthzWithoutAuth === true ? ['/healthz'] : []) }).middleware);
  }
  // Each known path answers only its methods: 405 with Allow for the others (OPTIONS: 204 with Allow).
  const only = (path: string, allow: string) =>
    app.all(path, (req, res) => {
      res.set('Allow', allow);
      if (req.method === 'OPTIONS') res.status(204).end();
      else res.status(405).json({ error: 'method_not_allowed', allow });
    });

  app.get(options.telemetryPath, concurrencyLimit(options.maxConcurrentScrapes ?? 10), async (req: Request, res: Response) => {
    const om = wantsOpenMetrics(req.headers.accept);
    // Synchronous, and the render after it only runs microtasks: no line is counted in between.
    deps.beforeScrape?.();
    const body = await deps.registry.render(om);
    res.set('Content-Type', om ? MetricsRegistry.OPENMETRICS_CONTENT_TYPE : MetricsRegistry.TEXT_CONTENT_TYPE);
    res.set('Cache-Control', 'no-store');
    if (options.gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      res.set('Content-Encoding', 'gzip');
      res.set('Vary', 'Accept-Encoding');
      res.send(await gzipAsync(body));
      return;
    }
    res.send(body);
  });
  only(options.telemetryPath, 'GET, HEAD');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  only('/healthz', 'GET, HEAD');

  app.get('/readyz', (_req, res) => {
    const inputs = deps.sources().map((s) => s.status());
    const ready = inputs.length > 0 && inputs.every((i) => i.ready);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', inputs: inputs.map((i) => ({ kind: i.kind, ready: i.ready })) });
  });
  only('/readyz', 'GET, HEAD');

  if (deps.ingest !== undefined) {
    app.post('/ingest', rateLimit(new TokenBucket(options.ingestRatePerSecond ?? 100)), deps.ingest.handle);
    only('/ingest', 'POST');
  }
  if (deps.otlp !== undefined) {
    // Its own rate limit inside: a 429 must carry an OTLP Status body in the request's encoding.
    app.post('/v1/traces', deps.otlp.handle);
    only('/v1/traces', 'POST');
  }
  if (deps.incidents !== undefined) {
    app.use('/api/incidents', incidentsRouter(deps.incidents));
    only('/api/incidents', 'GET, HEAD');
    only('/api/incidents/:id', 'GET, HEAD');
  }

  if (deps.live !== undefined) {
    app.use(liveRouter(deps.live.recorder, deps.live.assets, { gzip: options.gzip, telemetryPath: options.telemetryPath }));
    only('/api/series', 'GET, HEAD');
    only('/ui/:name', 'GET, HEAD');
  }

  app.get('/', (_req, res) => {
    res.type('html').send(
      `<!doctype html><title>llmtail</title><h1>llmtail</h1><ul><li><a href="${options.telemetryPath}">${options.telemetryPath}</a></li><li><a href="/healthz">/healthz</a></li><li><a href="/readyz">/readyz</a></li>${deps.incidents !== undefined ? '<li><a href="/api/incidents">/api/incidents</a></li>' : ''}</ul>`,
    );
  });
  only('/', 'GET, HEAD');

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  // Errors answer with a code, never a stack trace or a path.
  // Express's own handler is never reached (it would print the stack outside production).
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = clientErrorStatus(err);
    // A malformed URL (/%) is the client's mistake: 400, logged at debug without its details.
    if (status !== undefined) deps.log.debug({ status }, 'bad request');
    else deps.log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'request failed');
    if (res.headersSent) req.socket.destroy();
    else if (status !== undefined) res.status(status).json({ error: 'bad_request' });
    else res.status(500).json({ error: 'internal_error' });
  });
  return app;
}


/** A 4xx an error carries (body-parser and router errors set `status`); undefined for our own bugs. */
function clientErrorStatus(err: unknown): number | undefined {
  const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : NaN;
  return status >= 400 && status < 500 ? status : undefined;
}

/**
 * Client-certificate policies Node's TLS cannot express alone (it either verifies or not): a
 * certificate that must be present, or verified when given. RequireAndVerifyClientCert is
 * enforced in the handshake itself.
 */
function clientCertPolicy(tls: TlsSettings) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const socket = req.socket as TLSSocket;
    const present = Object.keys(socket.getPeerCertificate?.() ?? {}).length > 0;
    const refused =
      (tls.clientAuth === 'RequireAnyClientCert' && !present) || (tls.clientAuth === 'VerifyClientCertIfGiven' && present && !socket.authorized);
    if (refused) res.status(403).json({ error: 'client_certificate_required' });
    else next();
  };
}

export interface ListenOptions {
  tls?: TlsSettings;
  headerTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

export async function listen(app: express.Express, listenAddress: string, options: ListenOptions = {}): Promise<{ server: Server; port: number }> {
  const { host, port } = parseListenAddress(listenAddress);
  const headersTimeout = options.headerTimeoutMs ?? 10_000;
  // Slow clients (slowloris): headers and whole requests have deadlines, checked often enough to matter.
  const http: HttpServerOptions = {
    headersTimeout,
    requestTimeout: options.requestTimeoutMs ?? 60_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000,
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(headersTimeout / 4))),
  };
  const tls = options.tls;
  const server: Server =
    tls === undefined
      ? nodeHttp.createServer(http, app)
      : process.getBuiltinModule('node:https').createServer(
          {
            ...http,
            cert: tls.cert,
            key: tls.key,
            ca: tls.ca,
            minVersion: tls.minVersion,
            maxVersion: tls.maxVersion,
            requestCert: tls.clientAuth !== 'NoClientCert',
            rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
          },
          app,
        );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr !== null ? addr.port : port };
}
