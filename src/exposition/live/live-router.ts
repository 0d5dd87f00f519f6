import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { LiveAssets } from './assets.js';
import type { LiveRecorder } from './recorder.js';

const gzipAsync = promisify(gzip);

/**
 * Everything from this origin, nothing inline, nothing from anywhere else: the page must work in
 * an air-gapped cluster, and a script injected through a log line could not run. uPlot styles its
 * elements through the CSSOM (element.style), which style-src does not restrict.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const seriesQuery = z.object({
  since: z.coerce.number().finite().nonnegative().optional(),
});

/** The same hardening on every response of the page. */
function pageHeaders(res: Response): void {
  res.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('Referrer-Policy', 'no-referrer');
  res.set('X-Frame-Options', 'DENY');
}

/**
 * GET / (the live page), GET /ui/NAME (its scripts and styles) and GET /api/series (its data).
 * Mounted behind the server's TLS and basic-auth middleware like every other endpoint.
 */
export function liveRouter(recorder: LiveRecorder, assets: LiveAssets, options: { gzip: boolean; telemetryPath: string }): express.Router {
  const router = express.Router();
  // The schema allows only URL-safe characters in the path, so it can go into the HTML as is.
  const page = Buffer.from(assets.page.toString('utf8').replaceAll('{{telemetry_path}}', options.telemetryPath));

  router.get('/', (_req, res) => {
    pageHeaders(res);
    // Revalidated every load (it names the current asset versions); cheap, it is 2 kB.
    res.set('Cache-Control', 'no-cache');
    res.type('html').send(page);
  });

  router.get('/ui/:name', (req: Request<{ name: string }>, res) => {
    const asset = assets.assets.get(req.params.name);
    if (asset === undefined) {
      res.status(404).json({ error: 'not_found' });
      return;
    }
    pageHeaders(res);
    res.set('Content-Type', asset.contentType);
    // Versioned links never change content: cache them for good (privately: they may sit behind basic auth).
    res.set('Cache-Control', req.query.v === asset.version ? 'private, max-age=31536000, immutable' : 'no-cache');
    res.send(asset.body);
  });

  router.get('/api/series', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const query = seriesQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).json({ error: 'bad_request', message: 'since: expected epoch seconds (a non-negative number)' });
      return;
    }
    const body = JSON.stringify(recorder.series(query.data.since));
    res.set('Content-Type', 'application/json; charset=utf-8');
    // A full window at 1 s resolution is a few hundred kB of JSON: worth compressing.
    if (options.gzip && body.length > 1024 && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      res.set('Content-Encoding', 'gzip');
      res.set('Vary', 'Accept-Encoding');
      res.send(await gzipAsync(body));
      return;
    }
    res.send(body);
  });
  return router;
}
