import { isServerFailure, SERVER_FAILURE_STATUSES } from '../../events/status.js';
import type { DistributionSummary } from '../distribution.js';
import type { ModelReport, Report, ScopeReport } from '../report-data.js';
import { fmtAmount, fmtBytes, fmtCount, fmtPercent, fmtSeconds, fmtSpan, NONE } from './units.js';

/**
 * The report's human content, once, as sections of key-value facts, tables and notes; the table,
 * Markdown and HTML renderers only lay them out. Cells are plain text (untrusted: model names,
 * error types and templates come from the log); each renderer escapes for its medium.
 */

export type Block =
  | { kind: 'facts'; rows: [string, string][] }
  | { kind: 'table'; header: string[]; rows: string[][]; /** Columns aligned right (numbers). */ numeric: boolean[] }
  | { kind: 'note'; text: string };

export interface Section {
  title: string;
  blocks: Block[];
}

export interface SectionOptions {
  /** A full section per model besides the per-model summary table. */
  byModel: boolean;
}

export function reportTitle(r: Report): string {
  const files = r.inputs.length === 1 ? (r.inputs[0]?.path ?? '') : `${r.inputs.length} inputs`;
  return `llmtail report: ${files}`;
}

export function reportSections(r: Report, options: SectionOptions): Section[] {
  const sections: Section[] = [summary(r), { title: 'Latency and tokens (all models)', blocks: distributionTables(r.overall) }];
  if (r.models.length > 0) sections.push(perModel(r));
  sections.push(errorsSection('Errors by type', r.overall));
  sections.push(qualitySection(r.overall));
  sections.push(templatesSection(r));
  sections.push(incidentsSection(r));
  if (options.byModel) for (const m of r.models) sections.push(modelSection(m));
  sections.push(linesSection(r));
  sections.push(methodSection(r));
  return sections;
}

function summary(r: Report): Section {
  const o = r.overall;
  const t = r.time;
  const statuses = Object.entries(o.by_status)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${fmtCount(n)}`)
    .join(', ');
  const rows: [string, string][] = [
    ['Inputs', r.inputs.map((i) => `${i.path}${i.gzip ? ' (gzip)' : ''}`).join(', ')],
    ['Time span', t.first_event === null ? 'no timestamps' : `${t.first_event} → ${t.last_event} (${fmtSpan(t.span_seconds)})`],
    ['Requests', `${fmtCount(o.requests)}${statuses !== '' ? ` (${statuses})` : ''}`],
    ['Success rate', fmtPercent(o.success_rate)],
    ['Requests per second', fmtAmount(o.requests_per_second)],
    ['Output tokens per second', fmtAmount(o.output_tokens_per_second)],
    ['Input tokens per second', fmtAmount(o.input_tokens_per_second)],
    ['Decode speed, median request', o.decode_tokens_per_second_median === null ? NONE : `${fmtAmount(o.decode_tokens_per_second_median)} tokens/s`],
    ['End-to-end latency P50 / P95 / P99', triple(o.e2e_latency_seconds, fmtSeconds)],
    ['Time to first token P50 / P95 / P99', triple(o.time_to_first_token_seconds, fmtSeconds)],
  ];
  if (t.requests_without_timestamp > 0) rows.push(['Requests without timestamp', fmtCount(t.requests_without_timestamp)]);
  // A damaged input comes first, before any number that leaves its lost lines out.
  const blocks: Block[] = r.inputs.flatMap((i): Block[] => (i.warning !== null ? [{ kind: 'note', text: `Warning: ${i.warning}.` }] : []));
  blocks.push({ kind: 'facts', rows });
  if (!r.percentiles.exact) {
    blocks.push({ kind: 'note', text: `Percentiles are approximate: within ±${(r.percentiles.relative_error ?? 0) * 100} % (relative) of the exact nearest-rank values; more than ${fmtCount(r.percentiles.exact_value_limit)} values were held.` });
  }
  return { title: 'Summary', blocks };
}

function triple(d: DistributionSummary, fmt: (v: number | null) => string): string {
  return d.count === 0 ? NONE : `${fmt(d.p50)} / ${fmt(d.p95)} / ${fmt(d.p99)}`;
}

const DIST_HEADER = ['count', 'mean', 'min', 'p50', 'p95', 'p99', 'max'];

function distRow(label: string, d: DistributionSummary, fmt: (v: number | null) => string): string[] {
  return [label, fmtCount(d.count), fmt(d.mean), fmt(d.min), fmt(d.p50), fmt(d.p95), fmt(d.p99), fmt(d.max)];
}

function distributionTables(s: ScopeReport): Block[] {
  const numeric = [false, ...DIST_HEADER.map(() => true)];
  return [
    {
      kind: 'table',
      header: ['latency', ...DIST_HEADER],
      numeric,
      rows: [
        distRow('end to end', s.e2e_latency_seconds, fmtSeconds),
        distRow('time to first token', s.time_to_first_token_seconds, fmtSeconds),
        distRow('time per output token', s.time_per_output_token_seconds, fmtSeconds),
      ],
    },
    {
      kind: 'table',
      header: ['tokens per request', ...DIST_HEADER, 'total'],
      numeric: [...numeric, true],
      rows: [
        [...distRow('prompt (input)', s.prompt_tokens, fmtAmount), fmtCount(s.prompt_tokens.sum)],
        [...distRow('completion (output)', s.completion_tokens, fmtAmount), fmtCount(s.completion_tokens.sum)],
      ],
    },
  ];
}

function perModel(r: Report): Section {
  const header = ['model', 'requests', 'success rate', 'e2e p50', 'e2e p95', 'e2e p99', 'ttft p95', 'prompt mean', 'completion mean', 'output tok/s'];
  const rows = r.models.map((m) => [
    m.model,
    fmtCount(m.requests),
    fmtPercent(m.success_rate),
    fmtSeconds(m.e2e_latency_seconds.p50),
    fmtSeconds(m.e2e_latency_seconds.p95),
    fmtSeconds(m.e2e_latency_seconds.p99),
    fmtSeconds(m.time_to_first_token_seconds.p95),
    fmtAmount(m.prompt_tokens.mean),
    fmtAmount(m.completion_tokens.mean),
    fmtAmount(m.output_tokens_per_second),
  ]);
  const blocks: Block[] = [{ kind: 'table', header, rows, numeric: header.map((_, i) => i > 0) }];
  if (r.model_names_folded > 0) blocks.push({ kind: 'note', text: `${fmtCount(r.model_names_folded)} requests named a model past the cap of distinct names (labels.max_values) and are counted as __other__.` });
  return { title: 'Per model', blocks };
}

function errorsSection(title: string, s: ScopeReport): Section {
  if (s.errors_by_type.length === 0) return { title, blocks: [{ kind: 'note', text: 'No failed requests.' }] };
  const notSuccessful = s.errors_by_type.reduce((n, e) => n + e.count, 0);
  const serverSide = s.errors_by_type.reduce((n, e) => n + (isServerFailure(e.status) ? e.count : 0), 0);
  return {
    title,
    blocks: [
      {
        kind: 'table',
        header: ['status', 'error type', 'requests', 'share of requests'],
        numeric: [false, false, true, true],
        rows: s.errors_by_type.map((e) => [e.status, e.error_type === '' ? NONE : e.error_type, fmtCount(e.count), fmtPercent(s.requests > 0 ? e.count / s.requests : null)]),
      },
      {
        kind: 'note',
        text: `${fmtCount(notSuccessful)} requests did not succeed, ${fmtCount(serverSide)} of them server-side failures (${SERVER_FAILURE_STATUSES.join(', ')}); cancelled and client_error are the client's.`,
      },
    ],
  };
}

function qualitySection(s: ScopeReport, title = 'Response quality'): Section {
  if (s.quality === null) return { title, blocks: [{ kind: 'note', text: 'Not checked (anomaly.enabled is false).' }] };
  if (s.quality.responses_checked === 0) return { title, blocks: [{ kind: 'note', text: 'No response text in these logs: nothing to check.' }] };
  const checked = s.quality.responses_checked;
  return {
    title,
    blocks: [
      {
        kind: 'table',
        header: ['check', 'responses', 'share of checked'],
        numeric: [false, true, true],
        rows: Object.entries(s.quality.issues).map(([check, n]) => [check, fmtCount(n), fmtPercent(n / checked)]),
      },
      { kind: 'note', text: `${fmtCount(checked)} responses with text checked.` },
    ],
  };
}

function templatesSection(r: Report): Section {
  const t = r.error_templates;
  const title = 'Top error templates';
  if (!t.enabled) return { title, blocks: [{ kind: 'note', text: 'Not computed (anomaly.enabled is false).' }] };
  if (t.error_lines === 0) return { title, blocks: [{ kind: 'note', text: 'No error lines.' }] };
  const blocks: Block[] = [
    {
      kind: 'table',
      header: ['lines', 'share', 'template'],
      numeric: [true, true, false],
      rows: t.top.map((x) => [fmtCount(x.count), fmtPercent(x.share_of_error_lines), x.template]),
    },
    { kind: 'note', text: `${fmtCount(t.error_lines)} error lines in ${fmtCount(t.distinct_templates)} templates (numbers, ids, IPs, e-mails, URLs and times masked).` },
  ];
  if (t.templates_evicted > 0) blocks.push({ kind: 'note', text: `${fmtCount(t.templates_evicted)} rarely seen templates were dropped (anomaly.max_templates); their lines are not in the counts above.` });
  return { title, blocks };
}

function incidentsSection(r: Report): Section {
  const title = 'Error bursts (incidents)';
  if (!r.incident_detection.enabled) return { title, blocks: [{ kind: 'note', text: 'Not computed (anomaly.enabled is false).' }] };
  if (r.incidents.length === 0) return { title, blocks: [{ kind: 'note', text: 'No error burst.' }] };
  const blocks: Block[] = [
    {
      kind: 'table',
      header: ['model', 'start', 'end', 'duration', 'lines', 'severity', 'top templates'],
      numeric: [false, false, false, true, true, false, false],
      rows: r.incidents.map((i) => [
        i.model,
        i.started_at,
        i.ended_at,
        fmtSpan(i.duration_seconds),
        fmtCount(i.lines),
        i.severity,
        i.top_templates
          .slice(0, 3)
          .map((t) => `${fmtCount(t.count)}× ${t.template}`)
          .join('; '),
      ]),
    },
    { kind: 'note', text: "Timed by the log's own timestamps; a burst still going at the end of the input ends as if nothing more was logged." },
  ];
  if (r.incident_detection.not_listed > 0) blocks.push({ kind: 'note', text: `${fmtCount(r.incident_detection.not_listed)} earlier incidents are not listed.` });
  return { title, blocks };
}

function modelSection(m: ModelReport): Section {
  const facts: [string, string][] = [
    ['Requests', fmtCount(m.requests)],
    ['Success rate', fmtPercent(m.success_rate)],
    ['Output tokens per second', fmtAmount(m.output_tokens_per_second)],
    ['Decode speed, median request', m.decode_tokens_per_second_median === null ? NONE : `${fmtAmount(m.decode_tokens_per_second_median)} tokens/s`],
  ];
  const errors = errorsSection('', m).blocks;
  const quality = qualitySection(m, '').blocks;
  return { title: `Model ${m.model}`, blocks: [{ kind: 'facts', rows: facts }, ...distributionTables(m), ...errors, ...quality] };
}

function linesSection(r: Report): Section {
  const l = r.lines;
  const reasons = Object.entries(l.invalid_by_reason).map(([k, n]) => [`invalid: ${k}`, fmtCount(n)]);
  const rows: string[][] = [['read', fmtCount(l.total)], ['ok (requests)', fmtCount(l.ok)], ['invalid', fmtCount(l.invalid)], ...reasons, ['unmapped (not a request)', fmtCount(l.unmapped)], ['empty', fmtCount(l.empty)]];
  for (const [w, n] of Object.entries(l.warnings)) if (n > 0) rows.push([`repaired: ${w}`, fmtCount(n)]);
  const blocks: Block[] = [{ kind: 'table', header: ['lines', 'count'], numeric: [false, true], rows }];
  if (l.field_problems.length > 0) {
    blocks.push({
      kind: 'table',
      header: ['field dropped', 'problem', 'lines'],
      numeric: [false, false, true],
      rows: l.field_problems.map((p) => [p.field, p.problem, fmtCount(p.count)]),
    });
  }
  blocks.push({ kind: 'note', text: `${fmtBytes(l.bytes_read)} read${r.inputs.some((i) => i.gzip) ? ' (after decompression)' : ''}.` });
  return { title: 'Lines', blocks };
}

function methodSection(r: Report): Section {
  const p = r.percentiles;
  const text = p.exact
    ? 'Percentiles are exact nearest-rank values: the P-th percentile of n values is the ⌈P·n/100⌉-th smallest.'
    : `Percentiles are nearest-rank values read from relative-error sketches, within ±${(p.relative_error ?? 0) * 100} % of the exact ones (more than ${fmtCount(p.exact_value_limit)} values; raise --exact-limit for exact ones). Counts, sums, means, min and max are exact.`;
  return {
    title: 'Method',
    blocks: [
      { kind: 'note', text },
      { kind: 'note', text: 'Rates are per second of the span between the first and last event timestamps. Decode speed is 1 / (median time per output token).' },
      { kind: 'note', text: `${r.generator}, report schema ${r.schema_version}.` },
    ],
  };
}
