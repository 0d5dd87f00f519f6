import { describe, expect, it } from 'vitest';
import { REQUEST_HISTOGRAMS } from '../../src/consumers/metrics/definitions.js';
import type { Dashboard, Panel, QueryVariable } from '../../scripts/observability/grafana/builder.js';
import { families, familyOf, leValue, readText, readYaml, rulesOf, selectors, type RuleFileYaml } from './helpers.js';

/** The committed overview dashboard: variables, layout and the shape of every query. */
const dashboard = JSON.parse(readText('grafana/dashboards/llmtail-overview.json')) as Dashboard;
const panels = dashboard.panels.filter((p): p is Panel => p.type !== 'row');
const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
const queries = panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
const records = new Set(rulesOf(readYaml('prometheus/rules/recording.yml') as RuleFileYaml).map((r) => r.record as string));

describe('overview dashboard', () => {
  it('has the datasource, job, instance and model variables, multi-value with All', () => {
    expect(dashboard.templating.list.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['job', 'query'],
      ['instance', 'query'],
      ['model', 'query'],
    ]);
    for (const v of dashboard.templating.list.filter((x): x is QueryVariable => x.type === 'query')) {
      expect(v.multi && v.includeAll).toBe(true);
      expect(v.datasource.uid).toBe('${datasource}');
      expect(v.definition).toMatch(/^label_values\(\w+(\{[^}]*\})?, \w+\)$/);
    }
  });

  it('has the rows and panels the issue lists', () => {
    expect(rows).toEqual(expect.arrayContaining(['Overview', 'Traffic', 'SLOs', 'Request sizes', 'GPUs (nvidia-smi)', 'Errors and response quality', 'Sidecar health']));
    const titles = panels.map((p) => p.title);
    for (const t of [
      'Requests/s', 'Error ratio', 'P95 latency', 'P99 latency', 'TTFT P95', 'Input tokens/s', 'Output tokens/s', 'GPU memory used',
      'Requests/s by status', 'Requests/s by model',
      'End-to-end latency', 'Time to first token', 'Queue time', 'Time per output token',
      'End-to-end latency SLO attainment', 'Prompt length', 'Completion length',
      'GPU utilization', 'GPU temperature', 'GPU power',
      'Errors/s by type', 'Response-quality issues/s', 'Consecutive empty responses', 'Error bursts',
      'Tail lag', 'Invalid lines/s by reason', 'File rotations', 'Up: scrape and GPU collector',
    ]) expect(titles).toContain(t);
    expect(panels.filter((p) => p.type === 'heatmap').map((p) => p.title)).toEqual(['Prompt length', 'Completion length']);
  });

  it('lays panels out on the 24-column grid without overlaps, with unique ids', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('every panel and query uses the datasource variable', () => {
    for (const p of panels) {
      expect(p.datasource.uid).toBe('${datasource}');
      for (const t of p.targets) expect(t.datasource.uid).toBe('${datasource}');
    }
  });

  it('every query aggregates, and raw rates use $__rate_interval', () => {
    for (const q of queries) {
      expect(q.expr, q.panel).toMatch(/^(sum|max|min|histogram_quantile\([\d.]+, sum by \(le\)|1 - \(\nsum|time\(\) - max by)/);
      for (const m of q.expr.matchAll(/\b(rate|increase|irate|delta)\(([^[]*)\[([^\]]+)\]/g)) expect(m[3], `${q.panel}: ${m[0]}`).toBe('$__rate_interval');
    }
  });

  it('every selector filters by job and instance, and by model where the series has it; every series exists', async () => {
    const known = await families();
    for (const q of queries) {
      for (const s of selectors(q.expr)) {
        expect(s.matchers.get('job'), `${q.panel}: ${s.text}`).toBe('=~"$job"');
        expect(s.matchers.get('instance'), `${q.panel}: ${s.text}`).toBe('=~"$instance"');
        let hasModel: boolean;
        if (s.name === 'up') hasModel = false;
        else if (s.name.includes(':')) {
          expect(records, `${q.panel} reads ${s.name}`).toContain(s.name);
          hasModel = s.name.startsWith('instance_model');
        } else {
          const family = familyOf(s.name, known);
          expect(family, `${q.panel} reads unknown ${s.name}`).toBeDefined();
          hasModel = known.get(family as string)?.includes('model') ?? false;
        }
        expect(s.matchers.get('model'), `${q.panel}: ${s.text}`).toBe(hasModel ? '=~"$model"' : undefined);
      }
    }
  });

  it('quantile panels read recorded bucket rates; SLO attainment thresholds are bucket boundaries', () => {
    const buckets = new Map<string, readonly number[]>(REQUEST_HISTOGRAMS.map((h) => [h.name, h.buckets]));
    for (const q of queries.filter((x) => x.expr.startsWith('histogram_quantile'))) expect(q.expr, q.panel).toMatch(/instance_model_le:\w+_bucket:rate5m\{/);
    let thresholds = 0;
    for (const q of queries) {
      for (const s of selectors(q.expr)) {
        const le = s.matchers.get('le');
        if (le === undefined) continue;
        expect(buckets.get(s.name.replace(/_bucket$/, '')), s.text).toContain(leValue(le));
        thresholds++;
      }
    }
    expect(thresholds).toBeGreaterThanOrEqual(6);
  });

  it('the provisioning points Grafana at the dashboards folder and a Prometheus data source', () => {
    const ds = readYaml('grafana/provisioning/datasources/llmtail-prometheus.yml') as { datasources: { type: string; jsonData: { timeInterval: string } }[] };
    expect(ds.datasources[0]?.type).toBe('prometheus');
    expect(ds.datasources[0]?.jsonData.timeInterval).toBe('15s');
    const prov = readYaml('grafana/provisioning/dashboards/llmtail.yml') as { providers: { type: string; options: { path: string } }[] };
    expect(prov.providers[0]?.type).toBe('file');
    expect(prov.providers[0]?.options.path).toBe('/var/lib/grafana/dashboards/llmtail');
  });
});
