import { COMMANDS } from './index.js';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { readWebConfig, type TlsSettings } from '../../exposition/web/web-config.js';
import { parseListenAddress } from '../../exposition/listen-address.js';
import type { Config } from '../../config/schema.js';
import { helpText, numberFlag, parseCommand, type CommandFlag } from '../args.js';
import type { Command } from './command.js';

const FLAGS: CommandFlag[] = [
  { flag: 'timeout', type: 'string', arg: 'SECONDS', help: 'Give up (unhealthy) after this long.', default: '2.5' },
  { flag: 'tls-cert', type: 'string', arg: 'FILE', help: 'Client certificate to present when the web config requires one (default: the server\'s own).' },
  { flag: 'tls-key', type: 'string', arg: 'FILE', help: 'Key of --tls-cert.' },
];

/**
 * `llmtail healthcheck`: the container HEALTHCHECK. It reads the configuration the way `run` does
 * (--config / LLMTAIL_CONFIG, LLMTAIL_* environment, flags), so it follows the listen address and
 * the web config file: plain HTTP, or HTTPS when TLS is on. It asks GET /healthz on loopback and
 * exits 0 when llmtail answers 200, or 401 with its own realm (basic auth on and
 * web.healthz_without_auth off: the HTTP stack answered, so the process is alive; it has no
 * password to send). Anything else, a timeout, or a configuration it cannot read exits 1: Docker
 * reserves exit 2, so no failure may use it.
 */
export const healthcheckCommand: Command = {
  summary: COMMANDS['healthcheck'].summary,
  async run(argv, env) {
    let timeoutMs = 2500;
    try {
      const cmd = parseCommand(argv, FLAGS, env);
      if (cmd.help) {
        process.stdout.write(helpText('llmtail healthcheck [FLAGS]', healthcheckCommand.summary, FLAGS));
        return 0;
      }
      timeoutMs = numberFlag(cmd.flags, 'timeout', 2.5) * 1000;
      const verdict = await probe(cmd.config, { timeoutMs, cert: cmd.flags['tls-cert'] as string | undefined, key: cmd.flags['tls-key'] as string | undefined });
      process.stdout.write(`${verdict.message}\n`);
      return verdict.healthy ? 0 : 1;
    } catch (err) {
      // One line: Docker keeps the output of the last checks in `docker inspect`.
      const message = (err instanceof Error ? err.message : String(err)).replace(/:?\n\s*-\s*/g, (m) => (m.startsWith(':') ? ': ' : '; '));
      process.stdout.write(`unhealthy: ${message}\n`);
      return 1;
    }
  },
};

export interface Verdict {
  healthy: boolean;
  message: string;
}

/** Where the sidecar can be reached from inside its own container or pod. */
export function loopbackTarget(listenAddress: string): { host: string; port: number } {
  const { host, port } = parseListenAddress(listenAddress);
  if (host === undefined || host === '0.0.0.0') return { host: '127.0.0.1', port };
  if (host === '::') return { host: '::1', port };
  return { host, port };
}

export async function probe(config: Config, options: { timeoutMs: number; cert?: string; key?: string }): Promise<Verdict> {
  const { host, port } = loopbackTarget(config.web.listen_address);
  if (port === 0) return { healthy: false, message: 'unhealthy: web.listen_address has port 0 (a random port), which a health check cannot find' };
  const tls = config.web.config_file === '' ? undefined : readWebConfig(config.web.config_file).tls;
  const base: RequestOptions = { host, port, path: '/healthz', method: 'GET', agent: false, timeout: options.timeoutMs };
  const scheme = tls === undefined ? 'http' : 'https';
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
  let res: IncomingMessage;
  try {
    res = await send(tls === undefined ? base : { ...base, ...tlsClientOptions(tls, options) }, tls !== undefined, options.timeoutMs);
  } catch (err) {
    return { healthy: false, message: `unhealthy: ${url}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const status = res.statusCode ?? 0;
  if (status === 200) return { healthy: true, message: `healthy: ${url} answered 200` };
  if (status === 401 && /realm="llmtail"/.test(String(res.headers['www-authenticate'] ?? ''))) {
    return { healthy: true, message: `healthy: ${url} answered 401 (basic auth on; set web.healthz_without_auth: true to have /healthz answer without credentials)` };
  }
  return { healthy: false, message: `unhealthy: ${url} answered ${status}` };
}

/**
 * The peer is this container's own llmtail on loopback, and nothing secret is sent, so its
 * certificate is not verified (it names the service, not 127.0.0.1). Client certificate: when the
 * web config requires one, the server's own pair unless --tls-cert/--tls-key name another.
 */
function tlsClientOptions(tls: TlsSettings, options: { cert?: string; key?: string }): RequestOptions & { rejectUnauthorized: boolean; minVersion: 'TLSv1' } {
  const required = tls.clientAuth === 'RequireAnyClientCert' || tls.clientAuth === 'RequireAndVerifyClientCert';
  const given = options.cert !== undefined && options.key !== undefined;
  const client = given ? { cert: readFileSync(options.cert as string), key: readFileSync(options.key as string) } : required ? { cert: tls.cert, key: tls.key } : {};
  return { rejectUnauthorized: false, minVersion: 'TLSv1', ...client };
}

function send(options: RequestOptions, https: boolean, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    // Loaded as needed, and as CommonJS: node:https (TLS) costs ~25 ms of CPU a check without TLS
    // would pay every 30 s, and node:http's ES import loads Node's bundled undici (see exposition/server.ts).
    const request = https ? process.getBuiltinModule('node:https').request : process.getBuiltinModule('node:http').request;
    const req = request(options, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
