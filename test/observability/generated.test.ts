import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generatedFiles } from '../../scripts/observability/files.js';
import { alertingRules, recordingRules, withFor } from '../../scripts/observability/rules.js';
import { at } from './helpers.js';

/**
 * Dashboards, rules, example configs and Kubernetes manifests are generated from
 * scripts/observability; the committed files must be exactly what the code produces.
 */
describe('generated observability files', () => {
  const files = generatedFiles();

  it.each([...files.keys()])('%s is committed as generated (run `npm run observability` when this fails)', (rel) => {
    expect(existsSync(at(rel)), `${rel} is missing`).toBe(true);
    expect(readFileSync(at(rel), 'utf8')).toBe(files.get(rel));
  });

  it('parses back to the same objects (YAML and JSON round-trip)', () => {
    expect(parse(files.get('prometheus/rules/recording.yml') as string)).toEqual(recordingRules());
    expect(parse(files.get('prometheus/rules/alerts.yml') as string)).toEqual(alertingRules());
    for (const [rel, text] of files) if (rel.endsWith('.json')) expect(() => JSON.parse(text) as unknown).not.toThrow();
  });

  it('the PrometheusRule carries exactly the groups of prometheus/rules/', () => {
    const rule = parse(files.get('deploy/kubernetes/prometheusrule.yaml') as string) as { kind: string; spec: { groups: unknown[] } };
    expect(rule.kind).toBe('PrometheusRule');
    expect(rule.spec.groups).toEqual([...recordingRules().groups, ...alertingRules().groups]);
  });

  it('the PodMonitor scrapes the port the Deployment pod names, and the pod shares the log volume with llmtail', () => {
    const monitor = parse(files.get('deploy/kubernetes/podmonitor.yaml') as string) as {
      spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; path: string }[] };
    };
    const pod = (parse(files.get('deploy/kubernetes/deployment.yaml') as string) as {
      spec: { template: {
        metadata: { labels: Record<string, string> };
        spec: { containers: { name: string; args: string[]; ports?: { name: string; containerPort: number }[]; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] }[]; volumes: { name: string }[] };
      } };
    }).spec.template;
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(pod.metadata.labels[k]).toBe(v);
    const llmtail = pod.spec.containers.find((c) => c.name === 'llmtail');
    const server = pod.spec.containers.find((c) => c.name !== 'llmtail');
    expect(llmtail?.ports?.find((p) => p.name === monitor.spec.podMetricsEndpoints[0]?.port)?.containerPort).toBe(9838);
    expect(monitor.spec.podMetricsEndpoints[0]?.path).toBe('/metrics');
    const logMount = llmtail?.volumeMounts.find((m) => m.name === 'request-logs');
    expect(logMount?.readOnly).toBe(true);
    expect(server?.volumeMounts.find((m) => m.name === 'request-logs')?.mountPath).toBe(logMount?.mountPath);
    expect(llmtail?.args.join(' ')).toContain(`${logMount?.mountPath}/*.jsonl`);
    expect(pod.spec.volumes.map((v) => v.name)).toContain('request-logs');
  });

  it('the end-to-end variant of the alerts differs from the shipped rules only in `for`', () => {
    const shipped = alertingRules();
    const fast = withFor(shipped, '0s');
    expect(fast.groups.map((g) => g.rules.map(({ for: _f, ...r }) => r))).toEqual(shipped.groups.map((g) => g.rules.map(({ for: _f, ...r }) => r)));
    expect(fast.groups.flatMap((g) => g.rules.map((r) => r.for))).toEqual(fast.groups.flatMap((g) => g.rules.map(() => '0s')));
  });
});
