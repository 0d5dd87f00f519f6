import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import type { SecureVersion } from 'node:tls';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { ConfigError, describeIssue } from '../../config/load.js';
import type { Config } from '../../config/schema.js';

/**
 * The web config file in the format of Prometheus' exporter-toolkit (the file node_exporter takes
 * with --web.config.file), so users reuse what they already run: TLS with an optional client CA,
 * and basic-auth users with bcrypt hashes. Unknown keys are errors rather than silently ignored: a
 * security setting we do not implement must not look like it is on.
 */

const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];
const TLS_VERSIONS: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const tlsVersion = z.enum(Object.keys(TLS_VERSIONS) as [string, ...string[]]);
/** $2a$/$2b$/$2y$, a two-digit cost, 22 characters of salt and 31 of hash. */
const BCRYPT = /^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

const webConfigSchema = z
  .object({
    tls_server_config: z
      .object({
        cert_file: z.string().min(1),
        key_file: z.string().min(1),
        client_ca_file: z.string().min(1).optional(),
        client_auth_type: z.enum(CLIENT_AUTH_TYPES).default('NoClientCert'),
        min_version: tlsVersion.default('TLS12'),
        max_version: tlsVersion.default('TLS13'),
      })
      .strict()
      .superRefine((t, ctx) => {
        const verifies = t.client_auth_type === 'VerifyClientCertIfGiven' || t.client_auth_type === 'RequireAndVerifyClientCert';
        if (verifies && t.client_ca_file === undefined) {
          ctx.addIssue({ code: 'custom', path: ['client_ca_file'], input: undefined, message: `expected a CA file when client_auth_type is ${t.client_auth_type}` });
        }
        // As exporter-toolkit: a CA without a policy that uses it is a mistake, not a silent no-op.
        if (t.client_ca_file !== undefined && t.client_auth_type === 'NoClientCert') {
          ctx.addIssue({ code: 'custom', path: ['client_auth_type'], input: t.client_auth_type, message: 'expected a client_auth_type that checks client certificates when client_ca_file is set' });
        }
      })
      .optional(),
    basic_auth_users: z.record(z.string().min(1).regex(/^[^:]*$/, { message: 'expected a user name without ":"' }), z.string().regex(BCRYPT)).optional(),
  })
  .strict();

export interface TlsSettings {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  clientAuth: ClientAuthType;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
}

export interface WebSecurity {
  tls: TlsSettings | undefined;
  /** User → bcrypt hash; empty: no authentication. */
  users: ReadonlyMap<string, string>;
}

export const NO_WEB_SECURITY: WebSecurity = { tls: undefined, users: new Map() };

/**
 * Read and check `web.config_file` (exit 2 on any problem, like the main config), and refuse an
 * ingest endpoint that anyone on the network could write to.
 */
export function loadWebSecurity(config: Config): WebSecurity {
  const security = config.web.config_file === '' ? NO_WEB_SECURITY : readWebConfig(config.web.config_file);
  // The OTLP receiver writes metrics exactly as /ingest does: the same rule.
  for (const [on, key, endpoint] of [
    [config.web.enable_ingest, 'web.enable_ingest', 'POST /ingest'],
    [config.web.enable_otlp, 'web.enable_otlp', 'POST /v1/traces'],
  ] as const) {
    if (on && security.users.size === 0 && !isLoopback(config.web.listen_address)) {
      throw new ConfigError([
        `${key} is on and web.listen_address = ${JSON.stringify(config.web.listen_address)} is not a loopback address, but no basic_auth_users are configured: ${endpoint} would let anyone who can reach the port write metrics. Add basic_auth_users to a --web.config.file, or listen on 127.0.0.1 / [::1].`,
      ]);
    }
  }
  return security;
}

export function readWebConfig(file: string): WebSecurity {
  const where = `web config file ${file}`;
  let values: unknown;
  try {
    // The YAML parser only when there is a web config file (issue 15: ~8 MiB a sidecar without one never pays).
    const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    values = yaml.parse(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([code !== undefined ? `${where}: cannot read it (${code})` : `${where}: not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  const parsed = webConfigSchema.safeParse(values, { reportInput: true });
  if (!parsed.success) {
    const origin = new Map([['', where]]);
    for (const k of ['tls_server_config', 'basic_auth_users']) origin.set(k, where);
    throw new ConfigError(
      parsed.error.issues.map((issue) =>
        // Never echo a hash back: name the user and what was expected.
        issue.path[0] === 'basic_auth_users' && issue.path.length === 2 && issue.code !== 'unrecognized_keys'
          ? `basic_auth_users.${String(issue.path[1])} (from ${where}): expected a bcrypt hash ($2a$, $2b$ or $2y$, e.g. from \`htpasswd -nbBC 10 USER PASSWORD\`); the value is not shown`
          : withOrigin(describeIssue(issue, origin), where),
      ),
    );
  }
  const web = parsed.data;
  const users = new Map(Object.entries(web.basic_auth_users ?? {}));
  const t = web.tls_server_config;
  if (t === undefined) return { tls: undefined, users };
  // Relative paths are relative to the web config file, as in exporter-toolkit.
  const read = (key: string, p: string): Buffer => {
    try {
      return readFileSync(path.resolve(path.dirname(file), p));
    } catch (err) {
      throw new ConfigError([`tls_server_config.${key} = ${JSON.stringify(p)} (from ${where}): cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
    }
  };
  const tls: TlsSettings = {
    cert: read('cert_file', t.cert_file),
    key: read('key_file', t.key_file),
    ca: t.client_ca_file === undefined ? undefined : read('client_ca_file', t.client_ca_file),
    clientAuth: t.client_auth_type,
    minVersion: TLS_VERSIONS[t.min_version] as SecureVersion,
    maxVersion: TLS_VERSIONS[t.max_version] as SecureVersion,
  };
  try {
    // Fails now (exit 2) rather than at the first handshake: a key that does not match, a bad PEM.
    // node:tls only with TLS on (~6 MiB of RSS a plain-HTTP sidecar never pays).
    process.getBuiltinModule('node:tls').createSecureContext({ cert: tls.cert, key: tls.key, ca: tls.ca, minVersion: tls.minVersion, maxVersion: tls.maxVersion });
  } catch (err) {
    throw new ConfigError([`tls_server_config (from ${where}): the certificate, key or CA cannot be used: ${(err as Error).message}`]);
  }
  return { tls, users };
}

function withOrigin(message: string, where: string): string {
  return message.includes(where) ? message : `${where}: ${message}`;
}

/** Only an explicit loopback host counts: ":9838" and host names other than localhost listen wider. */
export function isLoopback(listenAddress: string): boolean {
  const i = listenAddress.lastIndexOf(':');
  let host = listenAddress.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}
