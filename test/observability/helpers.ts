/** Shared by the observability tests: the generated artefacts, parsed, and what the sidecar exports. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { metricsReferenceMarkdown } from '../../src/exposition/reference.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const at = (rel: string): string => path.join(ROOT, rel);
export const readText = (rel: string): string => readFileSync(at(rel), 'utf8');
export const readYaml = (rel: string): unknown => parse(readText(rel));

/** The anomaly detector's families (another issue builds them; the rules and panels use these names). */
export const ANOMALY_FAMILIES: Record<string, string[]> = {
  llmtail_response_quality_issues_total: ['model', 'check'],
  llmtail_consecutive_empty_responses: ['model'],
  llmtail_error_bursts_total: ['model'],
  llmtail_error_burst_in_progress: ['model'],
  llmtail_summarizer_calls_total: ['status'],
};

/** Labels Prometheus adds to every scraped series, and the target labels of prometheus.yml / the PodMonitor. */
export const TARGET = ['job', 'instance', 'namespace', 'pod', 'node', 'container', 'endpoint'];

/** Every metric family llmtail exports (from the generated reference, which runs the real registry) with its labels. */
export async function families(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const line of (await metricsReferenceMarkdown()).split('\n')) {
    const m = /^\| `(\w+)` \| \w+ \| [^|]* \| ([^|]*) \|/.exec(line);
    if (m) out.set(m[1] as string, [...(m[2] as string).matchAll(/`(\w+)`/g)].map((x) => x[1] as string));
  }
  for (const [name, labels] of Object.entries(ANOMALY_FAMILIES)) out.set(name, labels);
  return out;
}

/** The family a sample name belongs to (histogram series end in _bucket, _sum, _count). */
export function familyOf(name: string, known: Map<string, string[]>): string | undefined {
  if (known.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return known.has(base) ? base : undefined;
}

export interface Selector {
  name: string;
  matchers: Map<string, string>;
  text: string;
}

/** Metric selectors in a PromQL expression: llmtail families, recorded series (level:metric:ops) and `up`. */
export function selectors(expr: string): Selector[] {
  const out: Selector[] = [];
  for (const m of expr.matchAll(/(llmtail_\w+|[a-z_]+:[a-zA-Z0-9_]+:[a-zA-Z0-9_]+|\bup\b)(\{([^}]*)\})?/g)) {
    const matchers = new Map<string, string>();
    for (const mm of (m[3] ?? '').matchAll(/(\w+)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"/g)) matchers.set(mm[1] as string, `${mm[2]}"${mm[3]}"`);
    out.push({ name: m[1] as string, matchers, text: m[0] });
  }
  return out;
}

/** The threshold of an `le` matcher written by leMatcher(): `le=~"3|3.0"` or `le="2.5"`. */
export function leValue(matcher: string): number | undefined {
  const m = /^=~?"([\d.]+)(?:\|[\d.]+)?"$/.exec(matcher);
  return m ? Number(m[1]) : undefined;
}

// ---- rule files -----------------------------------------------------------------------------

export interface RuleYaml {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleFileYaml {
  groups: { name: string; rules: RuleYaml[] }[];
}

export const rulesOf = (file: RuleFileYaml): RuleYaml[] => file.groups.flatMap((g) => g.rules);

export interface PromtoolTestFile {
  rule_files: string[];
  tests: {
    name: string;
    input_series: { series: string; values: string }[];
    alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[] }[];
  }[];
}

export const PROMTOOL_TEST_DIR = 'prometheus/tests';
export function promtoolTestFiles(): string[] {
  return readdirSync(at(PROMTOOL_TEST_DIR))
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => `${PROMTOOL_TEST_DIR}/${f}`);
}

/** Run a command; on failure, the error carries its output. */
export function run(cmd: string, args: string[], cwd = ROOT): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}\n${e.message}`);
  }
}
