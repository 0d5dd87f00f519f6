import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../../src/config/schema.js';
import { VERSION } from '../../src/version.js';
import { SIDECAR_RESOURCES } from '../../scripts/observability/kubernetes.js';
import { eventually, startCli, type RunningCli } from '../helpers/cli.js';
import { at, dockerfileFacts, IMAGE_UID, isPinned, portOf, quantityMiB, quantityMilli, requireTool, run, v8LimitsUnder, yamlAt, yamlDocs } from './helpers.js';

/**
 * deploy/kubernetes cannot be applied here (no cluster), so kustomize renders it (`kubectl
 * kustomize`, no cluster needed) and the rendered objects are checked against each other and
 * against the Dockerfile: ports and their names, labels and selectors, volumes, the security
 * context, probes that hit real routes, resources that match the measurements in the README.
 */

interface Probe {
  httpGet: { path: string; port: string | number; scheme?: string };
}
interface Container {
  name: string;
  image: string;
  args: string[];
  env?: { name: string; value: string }[];
  ports?: { name: string; containerPort: number }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] }; runAsUser?: number };
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; seccompProfile?: { type: string } };
  containers: Container[];
  volumes: { name: string; emptyDir?: object }[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}
interface Deployment extends K8sObject {
  spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}
interface PodMonitor extends K8sObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    podMetricsEndpoints: { port: string; path: string; relabelings: { sourceLabels: string[]; regex?: string; action?: string }[] }[];
  };
}
interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress: { from?: { namespaceSelector?: { matchLabels: Record<string, string> }; podSelector?: { matchLabels: Record<string, string> } }[]; ports: { port: number | string; protocol: string }[] }[];
  };
}

const DIR = at('deploy', 'kubernetes');
const image = dockerfileFacts();
let objects: K8sObject[];
const one = <T extends K8sObject>(kind: string): T => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as T;
};
const subsetOf = (small: Record<string, string>, big: Record<string, string>) => Object.entries(small).every(([k, v]) => big[k] === v);

beforeAll(() => {
  requireTool('kubectl', ['version', '--client']);
  objects = yamlDocs<K8sObject>(run('kubectl', ['kustomize', DIR]));
});

describe('deploy/kubernetes (rendered by kustomize)', () => {
  it('renders the Deployment, NetworkPolicy, PodMonitor and PrometheusRule, from files that all exist and are all used', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['Deployment', 'NetworkPolicy', 'PodMonitor', 'PrometheusRule']);
    const k = yamlAt<{ resources: string[] }>('deploy', 'kubernetes', 'kustomization.yaml');
    for (const r of k.resources) expect(existsSync(path.join(DIR, r)), r).toBe(true);
    const manifests = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect(manifests.sort()).toEqual([...k.resources].sort());
  });

  it('kustomize fails on a kustomization that names a missing file (the check above can fail)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'llmtail-kustomize-'));
    try {
      writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n');
      expect(() => run('kubectl', ['kustomize', dir])).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pins every image; llmtail is the image the Dockerfile builds, in this version', () => {
    const d = one<Deployment>('Deployment');
    for (const c of d.spec.template.spec.containers) expect(isPinned(c.image), `${c.name}: ${c.image}`).toBe(true);
    expect(d.spec.template.spec.containers.find((c) => c.name === 'llmtail')?.image).toBe(`llmtail:${VERSION}`);
  });

  it('hardens every container: non-root uid 1000 (the image user), read-only root, no capabilities, no escalation, seccomp', () => {
    const spec = one<Deployment>('Deployment').spec.template.spec;
    expect(image.user).toBe('node');
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: IMAGE_UID, runAsGroup: IMAGE_UID, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of spec.containers) {
      expect(c.securityContext, c.name).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(c.securityContext?.runAsUser ?? IMAGE_UID).toBe(IMAGE_UID);
    }
  });

  it('shares the log volume read-only with llmtail, gives it a state volume at the image state dir, and matches its input glob', () => {
    const spec = one<Deployment>('Deployment').spec.template.spec;
    const llmtail = spec.containers.find((c) => c.name === 'llmtail') as Container;
    const server = spec.containers.find((c) => c.name !== 'llmtail') as Container;
    const logDir = path.dirname(image.defaultInputGlob);
    const logMount = llmtail.volumeMounts.find((m) => m.mountPath === logDir);
    expect(logMount?.readOnly).toBe(true);
    expect(server.volumeMounts.find((m) => m.name === logMount?.name)?.mountPath).toBe(logDir);
    expect(llmtail.args).toEqual(['run', '--input', image.defaultInputGlob]);
    const stateDir = image.env.get('LLMTAIL_STATE_DIR') as string;
    expect(llmtail.env?.find((e) => e.name === 'LLMTAIL_STATE_DIR')?.value ?? stateDir).toBe(stateDir);
    const stateMount = llmtail.volumeMounts.find((m) => m.mountPath === stateDir);
    expect(stateMount?.readOnly).not.toBe(true);
    // Every mount but the state volume is read-only: the only writable path.
    for (const m of llmtail.volumeMounts) if (m !== stateMount) expect(m.readOnly, m.mountPath).toBe(true);
    for (const m of [...llmtail.volumeMounts, ...server.volumeMounts]) expect(spec.volumes.map((v) => v.name)).toContain(m.name);
    // The stand-in writes a file the glob matches, and its rotated copies stay out of it.
    const out = server.args[server.args.indexOf('--out') + 1] as string;
    const matches = picomatch(image.defaultInputGlob);
    expect(matches(out)).toBe(true);
    expect(matches(`${out}.1`)).toBe(false);
  });

  it('serves on the image port, and the PodMonitor scrapes that port by name on pods of this Deployment', () => {
    const d = one<Deployment>('Deployment');
    const llmtail = d.spec.template.spec.containers.find((c) => c.name === 'llmtail') as Container;
    const monitor = one<PodMonitor>('PodMonitor');
    expect(subsetOf(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
    expect(subsetOf(monitor.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
    const endpoint = monitor.spec.podMetricsEndpoints[0];
    const port = llmtail.ports?.find((p) => p.name === endpoint?.port);
    expect(port?.containerPort).toBe(DEFAULT_PORT);
    expect(image.exposed).toContain(port?.containerPort);
    expect(portOf(llmtail.env?.find((e) => e.name === 'LLMTAIL_WEB_LISTEN_ADDRESS')?.value ?? '')).toBe(DEFAULT_PORT);
    expect(endpoint?.path).toBe('/metrics');
    const keep = endpoint?.relabelings.find((r) => r.action === 'keep');
    expect(keep?.sourceLabels).toEqual(['__meta_kubernetes_pod_container_name']);
    expect(new RegExp(`^(?:${keep?.regex})$`).test(llmtail.name)).toBe(true);
  });

  it('the NetworkPolicy selects these pods and lets only Prometheus pods in the Prometheus namespace reach the metrics port', () => {
    const d = one<Deployment>('Deployment');
    const policy = one<NetworkPolicy>('NetworkPolicy');
    const llmtail = d.spec.template.spec.containers.find((c) => c.name === 'llmtail') as Container;
    expect(subsetOf(policy.spec.podSelector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    const metricsPorts = new Set<number | string>([DEFAULT_PORT, ...(llmtail.ports ?? []).map((p) => p.name)]);
    const toMetrics = policy.spec.ingress.filter((r) => r.ports.some((p) => metricsPorts.has(p.port)));
    expect(toMetrics).toHaveLength(1);
    const from = toMetrics[0]?.from ?? [];
    expect(from).toHaveLength(1);
    // Namespace and pod selector in one element: both must match (two elements would OR them).
    expect(Object.keys(from[0]?.namespaceSelector?.matchLabels ?? {})).toEqual(['kubernetes.io/metadata.name']);
    expect(from[0]?.podSelector?.matchLabels).toEqual({ 'app.kubernetes.io/name': 'prometheus' });
    // Other rules (the inference server's port) never open the metrics port to anyone else.
    for (const r of policy.spec.ingress) if (r !== toMetrics[0]) for (const p of r.ports) expect(metricsPorts.has(p.port)).toBe(false);
  });

  it('sets requests and limits (requests within limits) that the README documents with their measurements', () => {
    const llmtail = one<Deployment>('Deployment').spec.template.spec.containers.find((c) => c.name === 'llmtail') as Container;
    expect(llmtail.resources).toEqual(SIDECAR_RESOURCES);
    const { requests, limits } = SIDECAR_RESOURCES;
    expect(quantityMiB(requests.memory)).toBeLessThan(quantityMiB(limits.memory));
    expect(quantityMilli(requests.cpu)).toBeLessThan(quantityMilli(limits.cpu));
    // V8's heap cap sits under the memory limit, so it collects before the kernel OOM-kills.
    const nodeOptions = llmtail.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
    const heapCap = /--max-old-space-size=(\d+)/.exec(nodeOptions);
    expect(heapCap).not.toBeNull();
    expect(Number(heapCap?.[1]) + 64).toBeLessThan(quantityMiB(limits.memory));
    // The env replaces the image's NODE_OPTIONS, so it must repeat each option the image sets
    // (the semi-space cap that keeps the RSS flat).
    for (const option of (image.env.get('NODE_OPTIONS') ?? '').split(/\s+/).filter(Boolean)) expect(nodeOptions.split(/\s+/)).toContain(option);
    expect(nodeOptions.split(/\s+/)).toContain('--max-semi-space-size=2');
    // What V8 makes of both caps (old space plus the young generation), with ~64 MiB for code and buffers, fits the limit.
    expect(v8LimitsUnder(nodeOptions).heapLimitMiB + 64).toBeLessThan(quantityMiB(limits.memory));
    const readme = readFileSync(path.join(DIR, 'README.md'), 'utf8');
    for (const q of [requests.cpu, requests.memory, limits.cpu, limits.memory]) expect(readme).toContain(q);
    expect(readme).toContain('measure-resources.sh');
  });
});

describe('the probes hit real routes of the real sidecar', () => {
  let cli: RunningCli;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmtail-probes-'));
    cli = await startCli(['run', '--input', path.join(dir, '*.jsonl'), '--web.listen-address', '127.0.0.1:0']);
  });
  afterAll(async () => {
    await cli.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('liveness and readiness answer 200 on the paths and scheme the Deployment probes', async () => {
    const llmtail = one<Deployment>('Deployment').spec.template.spec.containers.find((c) => c.name === 'llmtail') as Container;
    const probes = [llmtail.livenessProbe, llmtail.readinessProbe];
    // Both on /healthz: a sidecar's readiness gates the whole inference pod's Service endpoints, and
    // /readyz answers 503 while an input cannot be read, so probing it would take inference out of
    // service for a monitoring fault (LlmtailInputDown alerts on that instead).
    expect(probes.map((p) => p?.httpGet.path)).toEqual(['/healthz', '/healthz']);
    for (const p of probes) {
      expect(p?.httpGet.scheme ?? 'HTTP').toBe('HTTP');
      expect(llmtail.ports?.map((x) => x.name)).toContain(p?.httpGet.port);
      const res = await fetch(cli.url(p?.httpGet.path ?? '/'));
      expect(res.status, p?.httpGet.path).toBe(200);
    }
    expect((await fetch(cli.url('/no-such-route'))).status).toBe(404);
  });

  it('readiness stays 200 while an input cannot be read (/readyz would be 503), and llmtail_input_up shows it', async (ctx) => {
    ctx.skip(process.getuid?.() !== 0, 'needs root: runs the sidecar as uid 65534 on a directory it cannot read');
    const readiness = one<Deployment>('Deployment').spec.template.spec.containers.find((c) => c.name === 'llmtail')?.readinessProbe?.httpGet.path ?? '';
    chmodSync(dir, 0o755);
    const closed = path.join(dir, 'closed');
    mkdirSync(closed, { mode: 0o000 });
    chmodSync(closed, 0o000);
    const denied = await startCli(['run', '--input', path.join(closed, '*.jsonl'), '--web.listen-address', '127.0.0.1:0'], { uid: 65534, gid: 65534 });
    try {
      await eventually(async () => ((await fetch(denied.url('/readyz'))).status === 503 ? true : undefined), 10_000, '/readyz 503');
      expect((await fetch(denied.url(readiness))).status).toBe(200);
      // What LlmtailInputDown reads.
      expect(await (await fetch(denied.url('/metrics'))).text()).toMatch(/^llmtail_input_up\{input="file"\} 0$/m);
    } finally {
      await denied.stop();
    }
  }, 30_000);
});
