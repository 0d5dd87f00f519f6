import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** A well-formed hash that matches nothing we are sent: unknown users cost the same bcrypt as known ones. */
const DUMMY_HASH = '$2b$10$OpBQePONhuQ13V..UBD2du5Va9g6oIQavad1d9ljr8jA5g8tfI4zC';
const CACHE_MS = 60_000;

export interface BasicAuthOptions {
  /** Paths answered without credentials (/healthz when web.healthz_without_auth). */
  open?: ReadonlySet<string>;
  compare?: (password: string, hash: string) => Promise<boolean>;
  now?: () => number;
}

/**
 * HTTP basic auth against bcrypt hashes (exporter-toolkit's basic_auth_users). bcrypt is slow on
 * purpose, so a success is remembered for a minute as a SHA-256 of user and password (compared in
 * constant time; never the password itself): a scrape every few seconds pays bcrypt once a minute.
 * Nothing here logs: neither the header nor the password may reach a log line.
 */
export class BasicAuth {
  private readonly verified = new Map<string, { digest: Buffer; until: number }>();
  private readonly compare: (password: string, hash: string) => Promise<boolean>;
  private readonly now: () => number;

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly options: BasicAuthOptions = {},
  ) {
    // bcryptjs is loaded with the first check: only a web config with users pays for it.
    this.compare = options.compare ?? (async (p, h) => (await import('bcryptjs')).default.compare(p, h));
    this.now = options.now ?? Date.now;
  }

  async check(authorization: string | undefined): Promise<boolean> {
    const credentials = parseBasic(authorization);
    if (credentials === undefined) return false;
    const { user, password } = credentials;
    const digest = createHash('sha256').update(`${user}\0${password}`).digest();
    const cached = this.verified.get(user);
    if (cached !== undefined && cached.until > this.now() && timingSafeEqual(cached.digest, digest)) return true;
    const hash = this.users.get(user);
    const ok = (await this.compare(password, hash ?? DUMMY_HASH)) && hash !== undefined;
    // One entry per configured user at most: the cache cannot grow with what clients send.
    if (ok) this.verified.set(user, { digest, until: this.now() + CACHE_MS });
    return ok;
  }

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (this.options.open?.has(req.path) === true) return next();
    this.check(req.headers.authorization).then(
      (ok) => {
        if (ok) return next();
        res.status(401).set('WWW-Authenticate', 'Basic realm="llmtail"').json({ error: 'unauthorized' });
      },
      (err: unknown) => next(err),
    );
  };
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? '');
  if (m === null) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}
