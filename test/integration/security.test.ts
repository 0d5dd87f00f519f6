import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';

/**
 * Issue 8, security: the real CLI with an exporter-toolkit web config (TLS, client certificates,
 * basic auth), the ingest exposure guard, and HTTP hygiene, all over real sockets.
 */

const PASSWORD = 'correct horse battery staple';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  port: number,
  urlPath: string,
  options: { tls?: { ca?: Buffer | string; cert?: string; key?: string }; auth?: string; method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth !== undefined) headers.authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    const common = { host: '127.0.0.1', port, path: urlPath, method: options.method ?? 'GET', headers, agent: false as const };
    const done = (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    };
    const req =
      options.tls === undefined
        ? httpRequest(common, done)
        : httpsRequest({ ...common, servername: 'localhost', ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key }, done);
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', key, '-out', cert, '-subj', `/CN=${name}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { cert, key };
}

let dir: string;
let server: { cert: string; key: string };
let client: { cert: string; key: string };
let hash: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-security-'));
  server = selfSigned(dir, 'localhost');
  client = selfSigned(dir, 'scraper');
  hash = bcrypt.hashSync(PASSWORD, 4);
  writeFileSync(path.join(dir, 'in.jsonl'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (p: string) => readFileSync(p);

describe('TLS and basic auth from a web config file', () => {
  let cli: RunningCli;
  beforeAll(async () => {
    // Relative paths resolve against the web config file's directory, as in exporter-toolkit.
    writeFileSync(path.join(dir, 'web.yml'), `tls_server_config:\n  cert_file: localhost.pem\n  key_file: localhost-key.pem\n  min_version: TLS12\nbasic_auth_users:\n  prometheus: '${hash}'\n`);
    cli = await startCli(['run', '--input', path.join(dir, 'in.jsonl'), '--web.listen-address', '127.0.0.1:0', '--web.config.file', path.join(dir, 'web.yml')], {
      env: { LLMTAIL_WEB_HEALTHZ_WITHOUT_AUTH: 'true', LLMTAIL_LOG_LEVEL: 'debug' },
    });
  });
  afterAll(async () => {
    await cli?.stop();
  });

  it('serves /metrics over HTTPS to a client that trusts the CA and sends the right password', async () => {
    const ok = await call(cli.port, '/metrics', { tls: { ca: read(server.cert) }, auth: `prometheus:${PASSWORD}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('llmtail_lines_total');
    // The cached verification answers the same way.
    expect((await call(cli.port, '/metrics', { tls: { ca: read(server.cert) }, auth: `prometheus:${PASSWORD}` })).status).toBe(200);
  });

  it('answers 401 with a Basic challenge without credentials, with a wrong password or an unknown user', async () => {
    for (const auth of [undefined, `prometheus:wrong`, `nobody:${PASSWORD}`]) {
      const res = await call(cli.port, '/metrics', { tls: { ca: read(server.cert) }, auth });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="llmtail"');
      expect(JSON.parse(res.body)).toEqual({ error: 'unauthorized' });
    }
    // Every endpoint but /healthz (opened by web.healthz_without_auth) needs it, unknown paths too.
    expect((await call(cli.port, '/readyz', { tls: { ca: read(server.cert) } })).status).toBe(401);
    expect((await call(cli.port, '/nope', { tls: { ca: read(server.cert) } })).status).toBe(401);
    expect((await call(cli.port, '/healthz', { tls: { ca: read(server.cert) } })).status).toBe(200);
  });

  it('refuses plain HTTP and clients that do not trust the certificate', async () => {
    const plain = await call(cli.port, '/healthz').catch((err: Error) => err);
    expect(plain instanceof Error || plain.status >= 400).toBe(true);
    await expect(call(cli.port, '/healthz', { tls: {} })).rejects.toThrow(/self.signed|certificate/i);
  });

  it('answers a wrong method on a known path with 405 and Allow', async () => {
    const res = await call(cli.port, '/metrics', { tls: { ca: read(server.cert) }, auth: `prometheus:${PASSWORD}`, method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('never logs the password, the hash or the Authorization header', () => {
    const log = cli.stderr();
    expect(log).toContain('llmtail started');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(hash);
    expect(log).not.toContain(Buffer.from(`prometheus:${PASSWORD}`).toString('base64'));
    expect(log.toLowerCase()).not.toContain('authorization');
  });
});

describe('client certificates (RequireAndVerifyClientCert)', () => {
  let cli: RunningCli;
  beforeAll(async () => {
    writeFileSync(
      path.join(dir, 'web-mtls.yml'),
      `tls_server_config:\n  cert_file: ${server.cert}\n  key_file: ${server.key}\n  client_ca_file: ${client.cert}\n  client_auth_type: RequireAndVerifyClientCert\n`,
    );
    cli = await startCli(['run', '--input', path.join(dir, 'in.jsonl'), '--web.listen-address', '127.0.0.1:0', '--web.config.file', path.join(dir, 'web-mtls.yml')]);
  });
  afterAll(async () => {
    await cli?.stop();
  });

  it('serves a client with a certificate from the CA and rejects one without', async () => {
    const ok = await call(cli.port, '/metrics', { tls: { ca: read(server.cert), cert: read(client.cert).toString(), key: read(client.key).toString() } });
    expect(ok.status).toBe(200);
    await expect(call(cli.port, '/metrics', { tls: { ca: read(server.cert) } })).rejects.toThrow();
  });
});

describe('startup checks (exit 2)', () => {
  it('refuses POST /ingest on a non-loopback address without basic auth', async () => {
    for (const address of ['0.0.0.0:0', ':0']) {
      const r = await runCli(['run', '--web.enable-ingest', '--web.listen-address', address]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/not a loopback address, but no basic_auth_users are configured/);
    }
  });

  it('reports a bad web config file by key without echoing a hash', async () => {
    const bad = path.join(dir, 'bad.yml');
    writeFileSync(bad, `basic_auth_users:\n  alice: 'plain-text-password'\ntls_server_config:\n  cert_file: missing.pem\n  key_file: missing.pem\n  client_auth_type: Sometimes\nhttp2: true\n`);
    const r = await runCli(['check-config', '--web.config.file', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('basic_auth_users.alice');
    expect(r.stderr).not.toContain('plain-text-password');
    expect(r.stderr).toMatch(/tls_server_config\.client_auth_type = "Sometimes".*expected one of/);
    expect(r.stderr).toMatch(/unknown key "http2"/);
    const unreadable = path.join(dir, 'unreadable.yml');
    writeFileSync(unreadable, `tls_server_config:\n  cert_file: missing.pem\n  key_file: missing.pem\n`);
    const r2 = await runCli(['run', '--input', path.join(dir, 'in.jsonl'), '--web.listen-address', '127.0.0.1:0', '--web.config.file', unreadable]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/tls_server_config\.cert_file = "missing.pem".*cannot read it \(ENOENT\)/);
  });

  it('check-config prints the web config path, never its hashes', async () => {
    const web = path.join(dir, 'web-auth.yml');
    writeFileSync(web, `basic_auth_users:\n  prometheus: '${hash}'\n`);
    const r = await runCli(['check-config', '--web.config.file', web, '--web.enable-ingest', '--web.listen-address', ':9838']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`config_file: ${web}`);
    expect(r.stdout).not.toContain(hash);
  });
});

describe('HTTP hygiene (plain HTTP)', () => {
  let cli: RunningCli;
  beforeAll(async () => {
    cli = await startCli(['run', '--input', path.join(dir, 'in.jsonl'), '--web.listen-address', '127.0.0.1:0', '--web.enable-ingest'], {
      env: {
        LLMTAIL_WEB_MAX_CONCURRENT_SCRAPES: '1',
        LLMTAIL_WEB_HEADER_TIMEOUT_MS: '300',
        LLMTAIL_WEB_REQUEST_TIMEOUT_MS: '1000',
        LLMTAIL_WEB_INGEST_MAX_REQUESTS_PER_SECOND: '2',
      },
    });
  });
  afterAll(async () => {
    await cli?.stop();
  });

  it('answers scrapes past web.max_concurrent_scrapes with 503 and Retry-After', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => call(cli.port, '/metrics', { headers: { 'accept-encoding': 'gzip' } })));
    const busy = answers.filter((a) => a.status === 503);
    expect(answers.some((a) => a.status === 200)).toBe(true);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]?.headers['retry-after']).toBe('1');
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
  });

  it('cuts off a client that never finishes its headers', async () => {
    const t0 = Date.now();
    const { answer, ms } = await new Promise<{ answer: string; ms: number }>((resolve, reject) => {
      const socket = connect(cli.port, '127.0.0.1', () => socket.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Slow: '));
      let answer = '';
      socket.on('data', (d) => (answer += d.toString()));
      socket.on('close', () => resolve({ answer, ms: Date.now() - t0 }));
      socket.on('error', reject);
      setTimeout(() => reject(new Error('the slow client was not cut off in 5 s')), 5000).unref();
    });
    expect(ms).toBeLessThan(3000);
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('answers a wrong method on a known path with 405 and Allow, not 404', async () => {
    const cases: Array<[string, string, string]> = [
      ['DELETE', '/metrics', 'GET, HEAD'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['GET', '/ingest', 'POST'],
      ['PUT', '/api/incidents', 'GET, HEAD'],
    ];
    for (const [method, p, allow] of cases) {
      const res = await call(cli.port, p, { method });
      expect(res.status, `${method} ${p}`).toBe(405);
      expect(res.headers.allow).toBe(allow);
    }
    expect((await call(cli.port, '/metrics', { method: 'HEAD' })).status).toBe(200);
    expect((await call(cli.port, '/nope')).status).toBe(404);
  });

  it('answers malformed URLs with a JSON 4xx, never a stack trace or a path', async () => {
    for (const p of ['/%', '/api/incidents/%', '/api/incidents/%E0%A4%A']) {
      const res = await call(cli.port, p);
      expect(res.status, p).toBeGreaterThanOrEqual(400);
      expect(res.status, p).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.body).not.toMatch(/\bat |node_modules|\/work\/|\.js|URIError/);
      JSON.parse(res.body);
    }
  });

  it('limits POST /ingest to web.ingest_max_requests_per_second (429 past it)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await call(cli.port, '/ingest', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' } })).status);
    }
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    const unsupported = await call(cli.port, '/ingest', { method: 'POST', headers: { 'content-type': 'image/png' } }).catch(() => undefined);
    expect([415, 429]).toContain(unsupported?.status);
  });
});
