import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { HttpIngest } from '../sources/http-ingest.js';
import type { Source } from '../sources/source.js';
import { incidentsRouter, type IncidentSource } from './incidents-api.js';
import { MetricsRegistry } from './registry.js';

const gzipAsync = promisify(gzip);

export interface ServerOptions {
  listenAddress: string;
  telemetryPath: string;
  gzip: boolean;
}

export interface ServerDeps {
  registry: MetricsRegistry;
  sources: () => readonly Source[];
  ingest?: HttpIngest;
  log: Logger;
  /** Runs before each scrape is rendered (the checkpoint: no scrape may show state a restart would lose). */
  beforeScrape?: () => void;
  /** Error bursts for /api/incidents (absent when anomaly signals are off). */
  incidents?: IncidentSource;
}

/** Does the client prefer OpenMetrics? (Prometheus asks for it first when it wants exemplars.) */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/openmetrics-text');
}

export function createApp(options: ServerOptions, deps: ServerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get(options.telemetryPath, async (req: Request, res: Response) => {
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

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const inputs = deps.sources().map((s) => s.status());
    const ready = inputs.length > 0 && inputs.every((i) => i.ready);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', inputs: inputs.map((i) => ({ kind: i.kind, ready: i.ready })) });
  });

  if (deps.ingest !== undefined) app.post('/ingest', deps.ingest.handle);
  if (deps.incidents !== undefined) app.use('/api/incidents', incidentsRouter(deps.incidents));

  app.get('/', (_req, res) => {
    res.type('html').send(
      `<!doctype html><title>llmtail</title><h1>llmtail</h1><ul><li><a href="${options.telemetryPath}">${options.telemetryPath}</a></li><li><a href="/healthz">/healthz</a></li><li><a href="/readyz">/readyz</a></li>${deps.incidents !== undefined ? '<li><a href="/api/incidents">/api/incidents</a></li>' : ''}</ul>`,
    );
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  // Errors answer with a code, never a stack trace or a path.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.log.error({ err }, 'request failed');
    if (!res.headersSent) res.status(500).json({ error: 'internal_error' });
  });
  return app;
}

/** Parse "[host]:port" (":9838" means every interface). */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const i = address.lastIndexOf(':');
  let host = address.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host === '' ? undefined : host, port: Number(address.slice(i + 1)) };
}

export async function listen(app: express.Express, listenAddress: string): Promise<{ server: Server; port: number }> {
  const { host, port } = parseListenAddress(listenAddress);
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
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
