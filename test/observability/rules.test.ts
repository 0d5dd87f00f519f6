import { describe, expect, it } from 'vitest';
import { REQUEST_HISTOGRAMS } from '../../src/consumers/metrics/definitions.js';
import { RUNBOOK_URL } from '../../scripts/observability/common.js';
import { ANOMALY_FAMILIES, families, familyOf, leValue, promtoolTestFiles, readText, readYaml, rulesOf, selectors, type PromtoolTestFile, type RuleFileYaml } from './helpers.js';

/** What the issue asks of the alerts, checked on the committed rule files. */
const recording = readYaml('prometheus/rules/recording.yml') as RuleFileYaml;
const alerting = readYaml('prometheus/rules/alerts.yml') as RuleFileYaml;
const alerts = rulesOf(alerting);
const records = new Set(rulesOf(recording).map((r) => r.record as string));

const REQUIRED = [
  'LlmtailErrorRatioHigh',
  'LlmtailAvailabilityBudgetBurn',
  'LlmtailAvailabilityBudgetBurnSlow',
  'LlmtailLatencyP99High',
  'LlmtailLatencyBudgetBurn',
  'LlmtailLatencyBudgetBurnSlow',
  'LlmtailTTFTP95High',
  'LlmtailQueueTimeGrowing',
  'LlmtailGPUMemoryHigh',
  'LlmtailGPUCollectorDown',
  'LlmtailGPUTemperatureHigh',
  'LlmtailSidecarDown',
  // Readiness of the Kubernetes sidecar no longer shows an unreadable input (it would stop inference).
  'LlmtailInputDown',
  'LlmtailLogQuiet',
  'LlmtailInvalidLinesHigh',
  'LlmtailTailLagGrowing',
  'LlmtailConsecutiveEmptyResponses',
  'LlmtailErrorBurst',
];

describe('alert rules', () => {
  it('has every alert the issue lists, and no other', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([...REQUIRED].sort());
  });

  it.each(alerts.map((a) => [a.alert as string, a]))('%s: severity, summary and description with the measured value, runbook', (name, a) => {
    expect(['page', 'ticket']).toContain(a.labels?.severity);
    expect(Object.keys(a.annotations ?? {}).sort()).toEqual(['description', 'runbook_url', 'summary']);
    // The measured value: the alert's own, or (error burst: a 0/1 flag) the failure ratio it queries.
    expect(a.annotations?.summary).toMatch(/\$value|\| query/);
    expect(a.annotations?.description).toContain('$value');
    expect(a.annotations?.runbook_url).toBe(`${RUNBOOK_URL}#${name.toLowerCase()}`);
  });

  it('docs/runbooks.md has one section per alert (what the runbook_url anchors point at), and none for alerts that do not exist', () => {
    const headings = [...readText('docs/runbooks.md').matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect([...headings].sort()).toEqual([...REQUIRED].sort());
    for (const section of readText('docs/runbooks.md').split(/^## /m).slice(1)) {
      expect(section).toContain('**What it means.**');
      expect(section).toContain('**Check first.**');
      expect(section).toContain('**Mitigate.**');
    }
  });

  it('the availability SLO burns at 14.4x over 1h and 5m and 6x over 6h and 30m (page), 1x over 3d and 6h (ticket)', () => {
    const page = alerts.find((a) => a.alert === 'LlmtailAvailabilityBudgetBurn');
    const ticket = alerts.find((a) => a.alert === 'LlmtailAvailabilityBudgetBurnSlow');
    expect(page?.labels?.severity).toBe('page');
    expect(ticket?.labels?.severity).toBe('ticket');
    for (const [w, f] of [['1h', 14.4], ['5m', 14.4], ['6h', 6], ['30m', 6]] as const) expect(page?.expr).toContain(`failed:ratio_rate${w} / 0.005 > ${f}`);
    for (const w of ['3d', '6h']) expect(ticket?.expr).toContain(`failed:ratio_rate${w} / 0.005 > 1`);
  });

  it('every series the rules read exists: llmtail families (with labels they have) or recorded series', async () => {
    const known = await families();
    for (const rule of [...rulesOf(recording), ...alerts]) {
      for (const s of selectors(rule.expr)) {
        if (s.name === 'up') continue;
        if (s.name.includes(':')) {
          expect(records, `${rule.alert ?? rule.record} reads ${s.name}`).toContain(s.name);
          continue;
        }
        const family = familyOf(s.name, known);
        expect(family, `${rule.alert ?? rule.record} reads unknown ${s.name}`).toBeDefined();
        for (const label of s.matchers.keys()) if (label !== 'le') expect(known.get(family as string), `${s.text}`).toContain(label);
      }
    }
    // The anomaly metrics that feed alerts are used under exactly their agreed names.
    const text = alerts.map((a) => a.expr).join('\n');
    for (const name of ['llmtail_consecutive_empty_responses', 'llmtail_error_burst_in_progress']) {
      expect(Object.keys(ANOMALY_FAMILIES)).toContain(name);
      expect(text).toContain(name);
    }
  });

  it('latency thresholds are bucket boundaries: le matchers and the values quantiles are compared with', () => {
    const buckets = new Map<string, readonly number[]>(REQUEST_HISTOGRAMS.map((h) => [h.name, h.buckets]));
    let checked = 0;
    for (const rule of [...rulesOf(recording), ...alerts]) {
      for (const s of selectors(rule.expr)) {
        const le = s.matchers.get('le');
        if (le === undefined) continue;
        expect(buckets.get(s.name.replace(/_bucket$/, '')), s.text).toContain(leValue(le));
        checked++;
      }
      for (const m of rule.expr.matchAll(/instance_model:(\w+):p\d+_rate5m > ([\d.]+)/g)) {
        expect(buckets.get(m[1] as string), m[0]).toContain(Number(m[2]));
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('quantiles come from recorded bucket rates that keep le and the target and model labels', () => {
    for (const r of rulesOf(recording).filter((x) => x.expr.startsWith('histogram_quantile'))) {
      const source = /histogram_quantile\([\d.]+, (\S+)\)/.exec(r.expr)?.[1] as string;
      const rule = rulesOf(recording).find((x) => x.record === source);
      expect(rule?.expr).toMatch(/^sum by \(job, namespace, pod, instance, model, le\) \(rate\(\w+_bucket\{status="success"\}\[5m\]\)\)$/);
    }
  });

  it('promtool test cases cover every alert both firing and staying quiet', () => {
    const firing = new Set<string>();
    const quiet = new Set<string>();
    for (const file of promtoolTestFiles()) {
      const t = readYaml(file) as PromtoolTestFile;
      expect(t.rule_files).toEqual(['../rules/recording.yml', '../rules/alerts.yml']);
      for (const test of t.tests) {
        for (const c of test.alert_rule_test ?? []) (c.exp_alerts.length > 0 ? firing : quiet).add(c.alertname);
      }
    }
    for (const name of REQUIRED) {
      expect(firing, `${name} never fires in prometheus/tests`).toContain(name);
      expect(quiet, `${name} is never shown quiet in prometheus/tests`).toContain(name);
    }
  });

  it('an input llmtail cannot read pages, per input of each scraped sidecar (monitoring is blind, like a sidecar down)', () => {
    const a = alerts.find((x) => x.alert === 'LlmtailInputDown');
    expect(a?.labels?.severity).toBe(alerts.find((x) => x.alert === 'LlmtailSidecarDown')?.labels?.severity);
    expect(a?.expr).toBe('min by (job, namespace, pod, instance, input) (llmtail_input_up) == 0');
    expect(a?.for).toBe('5m');
    expect(a?.annotations?.description).toContain('llmtail_files_unreadable');
  });

  it('a promtool case covers a sidecar that never succeeded (up 0 from the start)', () => {
    const t = readYaml('prometheus/tests/sidecar.yml') as PromtoolTestFile;
    const never = t.tests.find((x) => x.input_series.some((s) => s.series.startsWith('up{job="llmtail"') && /^0x\d+$/.test(s.values)));
    expect(never?.alert_rule_test?.some((c) => c.alertname === 'LlmtailSidecarDown' && c.exp_alerts.length === 1)).toBe(true);
    expect(never?.input_series.every((s) => s.series.startsWith('up{'))).toBe(true);
  });
});
