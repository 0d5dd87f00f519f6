import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_PORT } from '../../src/config/schema.js';
import { VERSION } from '../../src/version.js';
import { SIDECAR_NODE_OPTIONS, SIDECAR_RESOURCES } from '../../scripts/observability/kubernetes.js';
import { at, dockerfileFacts, IMAGE_UID, isPinned, portOf, quantityMiB, quantityMilli, requireTool, run, v8LimitsUnder, yamlAt } from './helpers.js';

/**
 * deploy/compose cannot be started here (no Docker engine), so it is checked by Docker Compose's
 * own validator (`docker-compose config`, no engine needed), by promtool/amtool on the files it
 * mounts, laid out where the containers see them, and against what the Dockerfile promises.
 */

interface Service {
  image: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  networks?: { default?: { aliases?: string[] } };
  cpus?: number;
  mem_reservation?: string;
  mem_limit?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const DIR = at('deploy', 'compose');
const compose = yamlAt<Compose>('deploy', 'compose', 'docker-compose.yml');
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (s === undefined) throw new Error(`no service ${name}`);
  return s;
};
const image = dockerfileFacts();

/** "SRC:TARGET[:ro]" → parts; SRC is a named volume or a path relative to deploy/compose. */
function mount(spec: string): { source: string; target: string; readOnly: boolean; bind: boolean } {
  const [source, target, mode] = spec.split(':') as [string, string, string | undefined];
  return { source, target, readOnly: mode === 'ro', bind: source.startsWith('.') || source.startsWith('/') };
}
const mountAt = (s: Service, target: string) => (s.volumes ?? []).map(mount).find((m) => m.target === target);

describe('deploy/compose/docker-compose.yml', () => {
  it('is a valid Compose file for Docker Compose itself (docker-compose config)', () => {
    requireTool('docker-compose', ['version']);
    const rendered = parse(run('docker-compose', ['-f', 'docker-compose.yml', 'config'], DIR)) as Compose;
    expect(Object.keys(rendered.services).sort()).toEqual(['alert-sink', 'alertmanager', 'grafana', 'inference', 'llmtail', 'prometheus']);
  });

  it('pins every image, and builds llmtail from the repository Dockerfile', () => {
    for (const [name, s] of Object.entries(compose.services)) expect(isPinned(s.image), `${name}: ${s.image}`).toBe(true);
    for (const name of ['inference', 'llmtail', 'alert-sink']) {
      const s = svc(name);
      expect(s.image).toBe(`llmtail:${VERSION}`);
      expect(path.resolve(DIR, s.build?.context ?? '', s.build?.dockerfile ?? '')).toBe(at('Dockerfile'));
    }
  });

  it('runs llmtail as the image user on a read-only root file system, writing only the state volume', () => {
    const s = svc('llmtail');
    expect(image.user).toBe('node');
    expect(s.user).toBe(`${IMAGE_UID}:${IMAGE_UID}`);
    expect(s.read_only).toBe(true);
    expect(s.cap_drop).toEqual(['ALL']);
    expect(s.security_opt).toContain('no-new-privileges:true');
    const stateDir = s.environment?.LLMTAIL_STATE_DIR ?? image.env.get('LLMTAIL_STATE_DIR');
    expect(stateDir).toBe(image.env.get('LLMTAIL_STATE_DIR'));
    expect(image.volumes).toContain(stateDir);
    const state = mountAt(s, stateDir as string);
    expect(state?.bind).toBe(false);
    expect(state?.readOnly).toBe(false);
    expect(compose.volumes).toHaveProperty(state?.source as string);
    // Every other mount is read-only: the state volume is the only writable path.
    for (const m of (s.volumes ?? []).map(mount)) if (m.target !== stateDir) expect(m.readOnly, m.target).toBe(true);
  });

  it('shares the log volume: the stand-in writes where llmtail reads (read-only), matching its --input glob', () => {
    const s = svc('llmtail');
    const sim = svc('inference');
    const logDir = path.dirname(image.defaultInputGlob);
    expect(image.volumes).toContain(logDir);
    const readSide = mountAt(s, logDir);
    const writeSide = mountAt(sim, logDir);
    expect(readSide?.readOnly).toBe(true);
    expect(writeSide?.readOnly).toBe(false);
    expect(readSide?.source).toBe(writeSide?.source);
    expect(s.command).toEqual(['run', '--input', image.defaultInputGlob]);
    const out = sim.command?.[(sim.command.indexOf('--out') ?? -2) + 1] as string;
    expect(sim.command?.slice(0, 2)).toEqual(['simulate', '--follow']);
    // picomatch: the matcher llmtail's file inputs use.
    const matches = picomatch(image.defaultInputGlob);
    expect(matches(out)).toBe(true);
    // A rotated file (FILE.1) must stay out of the glob, or it would be counted twice.
    expect(matches(`${out}.1`)).toBe(false);
    expect(sim.user).toBe(`${IMAGE_UID}:${IMAGE_UID}`);
    expect(sim.read_only).toBe(true);
  });

  it('listens on the image port, publishes it on loopback only, and health-checks with the image HEALTHCHECK', () => {
    const s = svc('llmtail');
    expect(image.exposed).toEqual([DEFAULT_PORT]);
    expect(portOf(s.environment?.LLMTAIL_WEB_LISTEN_ADDRESS ?? '')).toBe(DEFAULT_PORT);
    expect(portOf(image.env.get('LLMTAIL_WEB_LISTEN_ADDRESS') ?? '')).toBe(DEFAULT_PORT);
    expect(s.ports).toEqual([`127.0.0.1:${DEFAULT_PORT}:${DEFAULT_PORT}`]);
    expect(image.healthcheck).toEqual([...image.entrypoint, 'healthcheck']);
    expect(s.healthcheck?.test).toEqual(['CMD', ...image.healthcheck]);
    // Containers of the same image that are not llmtail must not inherit its health check.
    expect(svc('inference').healthcheck?.disable).toBe(true);
    expect(svc('alert-sink').healthcheck?.disable).toBe(true);
  });

  it('keeps the image\'s V8 semi-space cap for llmtail: NODE_OPTIONS unset, or repeating the image\'s options', () => {
    // An environment entry replaces the image's NODE_OPTIONS rather than adding to it.
    const imageOptions = (image.env.get('NODE_OPTIONS') ?? '').split(/\s+/).filter(Boolean);
    expect(imageOptions).toContain('--max-semi-space-size=2');
    const own = svc('llmtail').environment?.NODE_OPTIONS;
    if (own !== undefined) for (const o of imageOptions) expect(own.split(/\s+/)).toContain(o);
  });

  it('sizes llmtail like the Kubernetes sidecar (from the same measurements), with V8 collecting before mem_limit', () => {
    const s = svc('llmtail');
    expect(s.mem_limit).toBe(`${quantityMiB(SIDECAR_RESOURCES.limits.memory)}m`);
    expect(s.mem_reservation).toBe(`${quantityMiB(SIDECAR_RESOURCES.requests.memory)}m`);
    expect(s.cpus).toBe(quantityMilli(SIDECAR_RESOURCES.limits.cpu) / 1000);
    expect(s.environment?.NODE_OPTIONS).toBe(SIDECAR_NODE_OPTIONS);
    // What V8 makes of both caps, with ~64 MiB for code and buffers, fits under the limit.
    expect(v8LimitsUnder(SIDECAR_NODE_OPTIONS).heapLimitMiB + 64).toBeLessThan(quantityMiB(SIDECAR_RESOURCES.limits.memory));
  });

  it('publishes every port on 127.0.0.1 only (no public exposure)', () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('mounts files that exist, from the repository (reused, not copied)', () => {
    const binds = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).map(mount).filter((m) => m.bind));
    expect(binds.length).toBeGreaterThanOrEqual(6);
    for (const m of binds) expect(existsSync(path.resolve(DIR, m.source)), m.source).toBe(true);
    const sources = binds.map((m) => path.relative(at(), path.resolve(DIR, m.source)));
    expect(sources).toEqual(
      expect.arrayContaining(['prometheus/rules', 'prometheus/alertmanager.yml', 'grafana/provisioning/datasources', 'grafana/provisioning/dashboards', 'grafana/dashboards']),
    );
  });
});

describe('Prometheus, Alertmanager and Grafana in deploy/compose', () => {
  let root: string;
  /** The file tree the containers see, rebuilt from the compose mounts. */
  const layout = (service: string): string => {
    const dir = path.join(root, service);
    for (const m of (svc(service).volumes ?? []).map(mount).filter((v) => v.bind)) {
      const dest = path.join(dir, m.target);
      mkdirSync(path.dirname(dest), { recursive: true });
      cpSync(path.resolve(DIR, m.source), dest, { recursive: true });
    }
    return dir;
  };
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'llmtail-compose-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('Prometheus: promtool accepts the config with the rule files where they are mounted', () => {
    const fs = layout('prometheus');
    const config = path.join(fs, 'etc/prometheus/prometheus.yml');
    const out = run('promtool', ['check', 'config', config]);
    expect(out).toMatch(/SUCCESS/);
    // Both shipped rule files are loaded (promtool checked them), with rules in them.
    expect(out).toMatch(/rules\/recording\.yml/);
    expect(out).toMatch(/rules\/alerts\.yml/);
    expect(readdirSync(path.join(fs, 'etc/prometheus/rules')).sort()).toEqual(['alerts.yml', 'recording.yml']);
  });

  it('Prometheus: scrapes the llmtail service on its port with the shipped relabelling, and alerts to the alertmanager service', () => {
    interface Prom {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[]; relabel_configs: unknown }[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    }
    const mine = yamlAt<Prom>('deploy', 'compose', 'prometheus.yml');
    const shipped = yamlAt<Prom>('prometheus', 'prometheus.yml');
    const job = mine.scrape_configs.find((j) => j.job_name === 'llmtail');
    expect(job?.static_configs.flatMap((c) => c.targets)).toEqual([`llmtail:${DEFAULT_PORT}`]);
    expect(job?.relabel_configs).toEqual(shipped.scrape_configs.find((j) => j.job_name === 'llmtail')?.relabel_configs);
    const [amHost, amPort] = (mine.alerting.alertmanagers[0]?.static_configs[0]?.targets[0] ?? '').split(':');
    expect(compose.services).toHaveProperty(amHost as string);
    expect(svc(amHost as string).ports?.some((p) => p.endsWith(`:${amPort}`))).toBe(true);
  });

  it('Alertmanager: amtool accepts the shipped routing, and its webhooks reach the alert sink, not the internet', () => {
    const fs = layout('alertmanager');
    const file = path.join(fs, 'etc/alertmanager/alertmanager.yml');
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(at('prometheus', 'alertmanager.yml'), 'utf8'));
    expect(run('amtool', ['check-config', file])).toMatch(/SUCCESS/);
    const am = parse(readFileSync(file, 'utf8')) as { receivers: { webhook_configs?: { url: string }[] }[] };
    const urls = am.receivers.flatMap((r) => r.webhook_configs ?? []).map((w) => new URL(w.url));
    expect(urls.length).toBeGreaterThan(0);
    const sink = svc('alert-sink');
    const script = sink.command?.join('\n') ?? '';
    for (const u of urls) {
      expect(sink.networks?.default?.aliases).toContain(u.hostname);
      expect(script).toContain(`[${u.port},`);
    }
  });

  it('Grafana: the provisioned data source is the prometheus service, and the dashboard provider finds the dashboards', () => {
    const fs = layout('grafana');
    const ds = parse(readFileSync(path.join(fs, 'etc/grafana/provisioning/datasources/llmtail-prometheus.yml'), 'utf8')) as { datasources: { url: string }[] };
    const url = new URL(ds.datasources[0]?.url ?? '');
    expect(compose.services).toHaveProperty(url.hostname);
    expect(svc(url.hostname).ports?.some((p) => p.endsWith(`:${url.port}`))).toBe(true);
    const provider = parse(readFileSync(path.join(fs, 'etc/grafana/provisioning/dashboards/llmtail.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
    const dashboards = path.join(fs, provider.providers[0]?.options.path ?? '/missing');
    const files = readdirSync(dashboards).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(statSync(path.join(dashboards, f)).size).toBeGreaterThan(100);
    const home = svc('grafana').environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    expect(existsSync(path.join(fs, home)), home).toBe(true);
  });
});
