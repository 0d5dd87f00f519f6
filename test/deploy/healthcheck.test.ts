import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';

/**
 * `llmtail healthcheck`, the image's HEALTHCHECK, against real sidecars: plain HTTP, TLS with basic
 * auth (401 from llmtail = alive), TLS with /healthz left open, and TLS that requires a verified
 * client certificate. It must follow the same configuration as the sidecar, exit 0 or 1 only
 * (Docker reserves 2), and not take someone else's 401 for llmtail's.
 */

function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', key, '-out', cert, '-subj', `/CN=${name}`, '-addext', 'subjectAltName=DNS:llmtail.example.internal',
  ], { stdio: 'ignore' });
  return { cert, key };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-healthcheck-'));
  // The certificate names the service, not 127.0.0.1: the healthcheck must not depend on that.
  selfSigned(dir, 'server');
  writeFileSync(path.join(dir, 'in.jsonl'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sidecar with this web config (or none), and `healthcheck` run with the same settings. */
async function withSidecar(webConfig: string | undefined, extraEnv: Record<string, string>, check: (health: (args?: string[]) => ReturnType<typeof runCli>, cli: RunningCli) => Promise<void>) {
  const file = path.join(dir, `web-${Math.random().toString(36).slice(2)}.yml`);
  if (webConfig !== undefined) writeFileSync(file, webConfig);
  // Configured through the environment, as in the image, so the healthcheck sees what run sees.
  const env: Record<string, string> = { ...extraEnv, LLMTAIL_WEB_CONFIG_FILE: webConfig === undefined ? '' : file };
  const cli = await startCli(['run', '--input', path.join(dir, 'in.jsonl'), '--web.listen-address', '127.0.0.1:0'], { env });
  try {
    const health = (args: string[] = []) =>
      runCli(['healthcheck', ...args], { env: { ...env, LLMTAIL_WEB_LISTEN_ADDRESS: `:${cli.port}` } });
    await check(health, cli);
  } finally {
    await cli.stop();
  }
}

describe('llmtail healthcheck', () => {
  it('is a listed command with --help', async () => {
    const help = await runCli(['healthcheck', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: llmtail healthcheck');
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}healthcheck /m);
  });

  it('plain HTTP: healthy while the sidecar runs, unhealthy (1) once it stopped', async () => {
    let port = 0;
    await withSidecar(undefined, {}, async (health, cli) => {
      port = cli.port;
      const r = await health();
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toBe(`healthy: http://127.0.0.1:${cli.port}/healthz answered 200\n`);
    });
    const gone = await runCli(['healthcheck', '--web.listen-address', `:${port}`]);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toMatch(/^unhealthy: .*ECONNREFUSED/);
  });

  it('TLS + basic auth: HTTPS to loopback; llmtail\'s own 401 counts as alive; a plain-HTTP check (the old HEALTHCHECK) fails', async () => {
    const hash = bcrypt.hashSync('secret', 4);
    await withSidecar(`tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\nbasic_auth_users:\n  prometheus: '${hash}'\n`, {}, async (health, cli) => {
      const r = await health();
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^healthy: https://127\\.0\\.0\\.1:${cli.port}/healthz answered 401`));
      // What the Dockerfile did before: plain HTTP to a TLS port gets no HTTP answer.
      const plain = await runCli(['healthcheck', '--web.listen-address', `127.0.0.1:${cli.port}`], { env: { LLMTAIL_WEB_CONFIG_FILE: '' } });
      expect(plain.code).toBe(1);
    });
  });

  it('TLS with web.healthz_without_auth: 200', async () => {
    const hash = bcrypt.hashSync('secret', 4);
    await withSidecar(`tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\nbasic_auth_users:\n  prometheus: '${hash}'\n`, { LLMTAIL_WEB_HEALTHZ_WITHOUT_AUTH: 'true' }, async (health, cli) => {
      const r = await health();
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toBe(`healthy: https://127.0.0.1:${cli.port}/healthz answered 200\n`);
    });
  });

  it('TLS requiring a verified client certificate: presents the server\'s own pair (or --tls-cert/--tls-key)', async () => {
    // The server certificate is its own client CA here, as with one internal CA for both.
    const other = selfSigned(dir, 'stranger');
    await withSidecar(
      'tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  client_ca_file: server.pem\n  client_auth_type: RequireAndVerifyClientCert\n',
      {},
      async (health) => {
        const r = await health();
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toMatch(/answered 200/);
        // A certificate the client CA did not sign is refused in the handshake: unhealthy, exit 1.
        const refused = await health(['--tls-cert', other.cert, '--tls-key', other.key]);
        expect(refused.code).toBe(1);
        expect(refused.stdout).toMatch(/^unhealthy: https:/);
      },
    );
  });

  it('is unhealthy (1, never 2) for an unreadable web config, a 503, or a 401 that is not llmtail\'s', async () => {
    const bad = await runCli(['healthcheck', '--web.config.file', path.join(dir, 'missing.yml')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^unhealthy: .*missing\.yml/);
    let status = 503;
    let realm = 'other';
    const impostor: Server = createServer((_req, res) => {
      res.statusCode = status;
      res.setHeader('WWW-Authenticate', `Basic realm="${realm}"`);
      res.end();
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const addr = impostor.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    try {
      const check = () => runCli(['healthcheck', '--web.listen-address', `127.0.0.1:${port}`], { env: { LLMTAIL_WEB_CONFIG_FILE: '' } });
      expect((await check()).code).toBe(1);
      status = 401;
      expect((await check()).code).toBe(1);
      realm = 'llmtail';
      expect((await check()).code).toBe(0);
    } finally {
      impostor.close();
    }
  });
});
