import express, { type Request, type Response } from 'express';
import type { IncidentView } from '../consumers/anomaly/incidents.js';

/** What /api/incidents reads (AnomalySignals). */
export interface IncidentSource {
  list(): IncidentView[];
  get(id: string): IncidentView | undefined;
}

/**
 * GET /api/incidents — recent error bursts, newest first: model, status, our counts, templates
 * with redacted examples, and the model's summary when one validated (else null, with the
 * summarizer's status: pending, disabled, invalid, error, timeout, rate_limited, skipped).
 * GET /api/incidents/:id — one of them, or a JSON 404.
 */
export function incidentsRouter(source: IncidentSource): express.Router {
  const router = express.Router();
  router.get('/', (_req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    res.json({ incidents: source.list() });
  });
  router.get('/:id', (req: Request<{ id: string }>, res: Response) => {
    const incident = source.get(req.params.id);
    res.set('Cache-Control', 'no-store');
    if (incident === undefined) {
      res.status(404).json({ error: 'not_found', message: 'no such incident (incidents are kept in memory; the oldest are dropped beyond anomaly.max_incidents)' });
      return;
    }
    res.json(incident);
  });
  return router;
}
