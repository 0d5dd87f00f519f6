import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { alertmanagerConfig } from '../../scripts/observability/alertmanager.js';
import { prometheusRule } from '../../scripts/observability/kubernetes.js';
import { kubernetesScrapeConfig } from '../../scripts/observability/prometheus.js';
import { alertNames, alertingRules } from '../../scripts/observability/rules.js';
import { promtoolTestFiles, run } from './helpers.js';

/**
 * The shipped Prometheus and Alertmanager files, checked by the real tools: promtool (Debian's
 * `prometheus` package) and amtool (`prometheus-alertmanager`), both installed by the test setup.
 */
describe('promtool and amtool', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'llmtail-promtool-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('promtool check config: the example prometheus.yml and the rule files it loads', () => {
    expect(run('promtool', ['check', 'config', 'prometheus/prometheus.yml'])).toMatch(/SUCCESS: 2 rule files found/);
  });

  it('promtool check rules: recording and alerting rules', () => {
    const out = run('promtool', ['check', 'rules', 'prometheus/rules/recording.yml', 'prometheus/rules/alerts.yml']);
    expect(out).toContain(`SUCCESS: ${alertNames().length} rules found`);
  });

  it('promtool check rules: the groups of the Kubernetes PrometheusRule', () => {
    const file = path.join(tmp, 'prometheusrule-groups.yml');
    writeFileSync(file, stringify({ groups: prometheusRule().spec.groups }));
    expect(run('promtool', ['check', 'rules', file])).toContain('SUCCESS');
  });

  it('the commented Kubernetes scrape job is a valid scrape config in shape', () => {
    // Debian's promtool is built without kubernetes_sd, so only the shape can be checked here.
    const job = kubernetesScrapeConfig();
    expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
    expect(job.relabel_configs.map((r) => r.target_label).filter(Boolean)).toEqual(['namespace', 'pod', 'instance', 'node']);
  });

  it.each(promtoolTestFiles())('promtool test rules %s', (file) => {
    expect(run('promtool', ['test', 'rules', file])).toContain('SUCCESS');
  });

  it('amtool check-config: the example alertmanager.yml', () => {
    expect(run('amtool', ['check-config', 'prometheus/alertmanager.yml'])).toMatch(/SUCCESS[\s\S]*3 inhibit rules[\s\S]*2 receivers/);
  });

  it('routes pages and tickets to different receivers; alerts without a severity become tickets', () => {
    const route = (...labels: string[]) => run('amtool', ['config', 'routes', 'test', '--config.file=prometheus/alertmanager.yml', ...labels]).trim();
    for (const group of alertingRules().groups) {
      for (const rule of group.rules) expect(route(`alertname=${rule.alert}`, `severity=${rule.labels.severity}`, 'model=m', 'instance=i')).toBe(rule.labels.severity);
    }
    expect(route('alertname=Other')).toBe('ticket');
  });

  it('the test variant of the routing (webhooks on loopback, short timers) is valid too', () => {
    const file = path.join(tmp, 'alertmanager.yml');
    const config = alertmanagerConfig({ pageUrl: 'http://127.0.0.1:1/page', ticketUrl: 'http://127.0.0.1:1/ticket', groupWait: '1s', groupInterval: '1s', pageRepeat: '1m', ticketRepeat: '1m' });
    writeFileSync(file, stringify(config));
    expect(run('amtool', ['check-config', file])).toContain('SUCCESS');
  });
});
