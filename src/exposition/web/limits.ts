import type { NextFunction, Request, Response } from 'express';

/** A token bucket: `rate` requests per second on average, bursts up to `rate`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = rate;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** 429 past the bucket: a runaway client cannot flood the pipeline through POST /ingest. */
export function rateLimit(bucket: TokenBucket) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (bucket.take()) return next();
    res.status(429).set('Retry-After', '1').json({ error: 'too_many_requests' });
  };
}

/**
 * At most `max` scrapes in flight (until their response is sent): 100 clients scraping at once
 * get 503 past the bound instead of piling renders and buffers into memory.
 */
export function concurrencyLimit(max: number) {
  let inFlight = 0;
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (inFlight >= max) {
      res.status(503).set('Retry-After', '1').json({ error: 'too_many_scrapes', limit: max });
      return;
    }
    inFlight++;
    res.once('close', () => inFlight--);
    next();
  };
}
