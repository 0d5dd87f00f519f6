import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { alertmanagerConfig } from '../../scripts/observability/alertmanager.js';
import { RUNBOOK_URL } from '../../scripts/observability/common.js';
import { dashboardQueries, type Dashboard, type QueryVariable } from '../../scripts/observability/grafana/builder.js';
import { prometheusConfig } from '../../scripts/observability/prometheus.js';
import { alertingRules, withFor } from '../../scripts/observability/rules.js';
import { DEFAULT_MODELS, startSimulator, type SimulatorHandle } from '../../src/simulator/index.js';
import { fixture, makeFakeSmi, type FakeSmi } from '../collectors/gpu/fake-smi.js';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { ANOMALY_FAMILIES, at } from '../observability/helpers.js';
import { freePort, instantQuery, startDaemon, startWebhookReceiver, type Daemon, type WebhookAlert, type WebhookReceiver } from '../observability/servers.js';

/**
 * The shipped observability stack against the real servers, all on loopback: the llmtail CLI
 * (`llmtail run`) tailing a log that the simulator writes, with the fake nvidia-smi for GPU series;
 * Debian's Prometheus scraping it every second with the shipped recording rules and the alerts;
 * Debian's Alertmanager with the example routing, its webhooks pointing at a test HTTP server.
 *
 * The alerts are a test variant generated from the same source (withFor): identical expressions,
 * labels and annotations, but `for: 0s`, so an alert fires on its first true evaluation instead of
 * after the realistic 5–15 minutes the shipped rules wait. The recording rules are the committed
 * file itself.
 */

const PROMETHEUS = '/usr/bin/prometheus';
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
/** Every committed dashboard. */
const DASHBOARDS = readdirSync(at('grafana/dashboards')).filter((f) => f.endsWith('.json')).map((f) => `grafana/dashboards/${f}`);
/** What Grafana would put for $__rate_interval with a 1 s scrape interval, with room for a slow scrape. */
const RATE_INTERVAL = '15s';

describe('dashboards and alerts against real Prometheus and Alertmanager', () => {
  let dir: string;
  let fake: FakeSmi;
  let simulator: SimulatorHandle | undefined;
  let cli: RunningCli | undefined;
  let webhook: WebhookReceiver | undefined;
  const daemons: Daemon[] = [];
  let prom = '';
  let alertmanager = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmtail-prom-e2e-'));
    fake = makeFakeSmi();
    const log = path.join(dir, 'requests.jsonl');
    writeFileSync(log, '');

    webhook = await startWebhookReceiver();

    // Alertmanager: the example routing, webhooks on the test server, timers in seconds, no clustering.
    const amPort = await freePort();
    const amConfig = path.join(dir, 'alertmanager.yml');
    writeFileSync(
      amConfig,
      stringify(alertmanagerConfig({ pageUrl: webhook.url('/page'), ticketUrl: webhook.url('/ticket'), groupWait: '1s', groupInterval: '1s', pageRepeat: '1h', ticketRepeat: '1h' })),
    );
    mkdirSync(path.join(dir, 'am-data'));
    alertmanager = `http://127.0.0.1:${amPort}`;
    daemons.push(
      await startDaemon(
        'alertmanager',
        ALERTMANAGER,
        [`--config.file=${amConfig}`, `--storage.path=${path.join(dir, 'am-data')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=', '--log.level=warn'],
        `${alertmanager}/-/ready`,
      ),
    );

    // The sidecar on an empty log, GPU metrics from the fake nvidia-smi (8 H100s) sampled every second.
    cli = await startCli(['run', '--input', log, '--web.listen-address', '127.0.0.1:0', '--gpu', 'on'], {
      env: fake.env({ FAKE_SMI_FIXTURE: fixture('synthetic-8x-h100-load.csv'), LLMTAIL_GPU_INTERVAL_MS: '1000' }),
    });
    // No failures until the test injects a burst (no baseline errors, and a light load so no request runs into
    // the server timeout); a few empty responses and malformed lines for the quality and invalid-line panels.
    simulator = await startSimulator({
      path: log,
      ratePerSecond: 20,
      capacityPerSecond: 100,
      shape: 'flat',
      seed: 5,
      burstEverySeconds: 0,
      baselineErrorRate: 0,
      burstErrorRate: [0.9, 0.95],
      emptyOutputRate: 0.02,
      malformedFraction: 0.005,
    });

    // Prometheus: the example's relabelling, 1 s scrapes and evaluations, shipped recording rules, fast alerts.
    const promPort = await freePort();
    const alertsFile = path.join(dir, 'alerts-for-0s.yml');
    writeFileSync(alertsFile, stringify(withFor(alertingRules(), '0s'), { lineWidth: 0 }));
    const promConfig = path.join(dir, 'prometheus.yml');
    writeFileSync(
      promConfig,
      stringify(
        prometheusConfig({
          scrapeInterval: '1s',
          scrapeTimeout: '1s',
          evaluationInterval: '1s',
          ruleFiles: [at('prometheus/rules/recording.yml'), alertsFile],
          alertmanagers: [`127.0.0.1:${amPort}`],
          staticTargets: [`127.0.0.1:${cli.port}`],
        }),
        { lineWidth: 0 },
      ),
    );
    prom = `http://127.0.0.1:${promPort}`;
    daemons.push(
      await startDaemon(
        'prometheus',
        PROMETHEUS,
        [`--config.file=${promConfig}`, `--storage.tsdb.path=${path.join(dir, 'prom-data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'],
        `${prom}/-/ready`,
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await simulator?.stop();
    for (const d of daemons.reverse()) await d.stop();
    await cli?.stop();
    await webhook?.close();
    fake?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** Poll an instant query until it returns at least one series. */
  async function untilData(query: string, timeoutMs: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const r = await instantQuery(prom, query);
      if (r.status !== 'success') throw new Error(`query failed to run: ${r.error ?? ''}\n${query}`);
      if ((r.data?.result.length ?? 0) > 0) return r.data?.result ?? [];
      last = JSON.stringify(r.data);
      if (Date.now() > deadline) throw new Error(`no data after ${timeoutMs} ms (${last}):\n${query}\n\nPrometheus:\n${daemons.map((d) => d.output()).join('\n')}`);
      await new Promise((r2) => setTimeout(r2, 250));
    }
  }

  it('an error burst reaches the page receiver as LlmtailErrorRatioHigh, with its labels and annotations', async () => {
    // Traffic flows through scrapes and recording rules, and nothing fails yet: the alert is quiet.
    await untilData('instance_model:llmtail_requests:rate5m{job="llmtail", instance="127.0.0.1"} > 0', 30_000);
    const before = await instantQuery(prom, 'ALERTS{alertname="LlmtailErrorRatioHigh"}');
    expect(before.data?.result).toEqual([]);
    const injectedAt = Date.now();

    // The burst: the simulator writes mostly failing requests (OOM, timeouts, queue full) for 20 s.
    simulator?.forceBurst(20_000);

    const deadline = Date.now() + 40_000;
    let alert: WebhookAlert | undefined;
    let receiver = '';
    while (alert === undefined) {
      for (const { path: p, payload } of webhook?.received ?? []) {
        const a = payload.alerts.find((x) => x.labels.alertname === 'LlmtailErrorRatioHigh' && x.status === 'firing');
        if (a !== undefined) {
          alert = a;
          receiver = `${payload.receiver} ${p}`;
          break;
        }
      }
      if (alert !== undefined) break;
      if (Date.now() > deadline) {
        throw new Error(`no LlmtailErrorRatioHigh notification; received: ${JSON.stringify(webhook?.received.map((r) => [r.path, r.payload.alerts.map((a) => a.labels.alertname)]))}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }

    // Routed by severity to the page receiver.
    expect(receiver).toBe('page /page');
    expect(Date.parse(alert.startsAt)).toBeGreaterThanOrEqual(injectedAt - 2000);
    expect(alert.labels).toMatchObject({ alertname: 'LlmtailErrorRatioHigh', severity: 'page', job: 'llmtail', instance: '127.0.0.1' });
    expect(DEFAULT_MODELS.map((m) => m.name)).toContain(alert.labels.model);
    const model = alert.labels.model as string;
    // The summary and description carry the measured failure ratio, above the 5 % threshold.
    const summary = new RegExp(`^([\\d.]+)% of requests to ${model.replace(/[.]/g, '\\.')} on 127\\.0\\.0\\.1 are failing$`).exec(alert.annotations.summary ?? '');
    expect(summary, alert.annotations.summary).not.toBeNull();
    expect(Number(summary?.[1])).toBeGreaterThan(5);
    expect(alert.annotations.description).toContain(`were ${summary?.[1]}% of the requests to model ${model} on 127.0.0.1`);
    expect(alert.annotations.runbook_url).toBe(`${RUNBOOK_URL}#llmtailerrorratiohigh`);
  }, 80_000);

  it('every query of every dashboard panel parses and returns data, and every variable has values', async () => {
    // The anomaly families the panels read must be exported by the running sidecar.
    const exposition = await (await fetch(cli?.url('/metrics') ?? '')).text();
    const exported = (name: string) => new RegExp(`^${name}(\\{| )`, 'm').test(exposition);
    expect(Object.keys(ANOMALY_FAMILIES).filter((name) => !exported(name))).toEqual([]);

    let checked = 0;
    for (const file of DASHBOARDS) {
      const dashboard = JSON.parse(readFileSync(at(file), 'utf8')) as Dashboard;
      const substitute = (expr: string) =>
        expr
          .replaceAll('$__rate_interval', RATE_INTERVAL)
          .replaceAll('$job', 'llmtail')
          // Grafana regex-escapes a selected value for =~ matchers.
          .replaceAll('$instance', '127\\\\.0\\\\.0\\\\.1')
          .replaceAll('$model', '.+');

      for (const v of dashboard.templating.list.filter((x): x is QueryVariable => x.type === 'query')) {
        const m = /^label_values\((.+), (\w+)\)$/.exec(v.definition);
        expect(m, v.definition).not.toBeNull();
        const res = await fetch(`${prom}/api/v1/label/${m?.[2]}/values?${new URLSearchParams({ 'match[]': substitute(m?.[1] as string) })}`);
        const body = (await res.json()) as { status: string; data: string[] };
        expect(body.status, v.definition).toBe('success');
        expect(body.data.length, `variable ${v.name}: ${v.definition}`).toBeGreaterThan(0);
      }

      for (const q of dashboardQueries(dashboard)) {
        const result = await untilData(substitute(q.expr), 20_000);
        expect(result.length, `${q.panel} ${q.refId}`).toBeGreaterThan(0);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(40);
  }, 80_000);

  it('the routing inhibits symptom alerts of an instance while its sidecar, its input or its GPU collector is down', async () => {
    // Alerts posted straight to Alertmanager's v2 API (made-up instances, so Prometheus' own alerts do not mix in).
    const alert = (labels: Record<string, string>) => ({ labels: { job: 'llmtail', ...labels }, annotations: {}, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 300_000).toISOString() });
    const posted = [
      alert({ alertname: 'LlmtailSidecarDown', severity: 'page', instance: 'host-a' }),
      alert({ alertname: 'LlmtailErrorRatioHigh', severity: 'page', instance: 'host-a', model: 'm' }),
      alert({ alertname: 'LlmtailErrorRatioHigh', severity: 'page', instance: 'host-b', model: 'm' }),
      alert({ alertname: 'LlmtailGPUCollectorDown', severity: 'ticket', instance: 'host-c' }),
      alert({ alertname: 'LlmtailGPUMemoryHigh', severity: 'ticket', instance: 'host-c', gpu: '0' }),
      alert({ alertname: 'LlmtailErrorRatioHigh', severity: 'page', instance: 'host-c', model: 'm' }),
      alert({ alertname: 'LlmtailInputDown', severity: 'page', instance: 'host-d', input: 'file' }),
      alert({ alertname: 'LlmtailLogQuiet', severity: 'ticket', instance: 'host-d' }),
      alert({ alertname: 'LlmtailLogQuiet', severity: 'ticket', instance: 'host-b' }),
    ];
    const res = await fetch(`${alertmanager}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(posted) });
    expect(res.status).toBe(200);

    type AmAlert = { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } };
    const expected: Record<string, string> = {
      'LlmtailSidecarDown host-a': 'active',
      'LlmtailErrorRatioHigh host-a': 'suppressed',
      'LlmtailErrorRatioHigh host-b': 'active',
      'LlmtailGPUCollectorDown host-c': 'active',
      'LlmtailGPUMemoryHigh host-c': 'suppressed',
      'LlmtailErrorRatioHigh host-c': 'active',
      'LlmtailInputDown host-d': 'active',
      'LlmtailLogQuiet host-d': 'suppressed',
      'LlmtailLogQuiet host-b': 'active',
    };
    const deadline = Date.now() + 20_000;
    let states: Record<string, string> = {};
    for (;;) {
      const alerts = (await (await fetch(`${alertmanager}/api/v2/alerts?${new URLSearchParams({ filter: 'instance=~"host-[abcd]"' })}`)).json()) as AmAlert[];
      states = Object.fromEntries(alerts.map((a) => [`${a.labels.alertname} ${a.labels.instance}`, a.status.state]));
      if (JSON.stringify(Object.entries(states).sort()) === JSON.stringify(Object.entries(expected).sort())) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(states).toEqual(expected);
  }, 30_000);
});
