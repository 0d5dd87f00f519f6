import { REQUEST_HISTOGRAMS, type HistogramKey } from '../consumers/metrics/definitions.js';
import type { Histogram } from '../consumers/metrics/histogram.js';
import { histogramQuantile } from '../consumers/metrics/quantile.js';
import type { RequestMetrics, RequestSeries } from '../consumers/metrics/request-metrics.js';
import { INVALID_REASONS, LINE_RESULTS, type LineStats } from '../pipeline/line-stats.js';
import { cellWidth, terminalCell } from '../report/format/cell.js';

const index = (key: HistogramKey) => REQUEST_HISTOGRAMS.findIndex((h) => h.key === key);
const E2E = index('e2e_latency');
const TTFT = index('time_to_first_token');
const PROMPT = index('prompt_tokens');
const COMPLETION = index('completion_tokens');

/**
 * A human table of what a replay counted: per label set, requests, errors, latency quantiles
 * (bucket estimates, like histogram_quantile) and tokens; then what happened to the lines.
 */
export function formatSummary(metrics: RequestMetrics, stats: LineStats): string {
  const header = [...metrics.labelNames, 'requests', 'e2e p50', 'e2e p95', 'e2e p99', 'ttft p95', 'prompt tok', 'completion tok'];
  const rows = [...metrics.series]
    .sort((a, b) => b.requests - a.requests)
    .map((s) => [
      ...metrics.labelNames.map((l) => s.labels[l] ?? ''),
      String(s.requests),
      seconds(s, E2E, 0.5),
      seconds(s, E2E, 0.95),
      seconds(s, E2E, 0.99),
      seconds(s, TTFT, 0.95),
      total(s.histograms[PROMPT]),
      total(s.histograms[COMPLETION]),
    ]);
  const lines = LINE_RESULTS.map((r, i) => `${r}=${stats.results[i]}`).join(' ');
  const invalid = INVALID_REASONS.filter((_, i) => (stats.invalid[i] as number) > 0)
    .map((r) => `${r}=${stats.invalid[INVALID_REASONS.indexOf(r)]}`)
    .join(' ');
  return `${table([header, ...rows], metrics.labelNames.length)}\nlines: ${lines}${invalid ? `  invalid: ${invalid}` : ''}\nQuantiles are bucket estimates (as histogram_quantile computes them).\n`;
}

function seconds(s: RequestSeries, i: number, q: number): string {
  const h = s.histograms[i];
  const v = h === undefined ? undefined : histogramQuantile(q, h);
  return v === undefined ? '-' : `${v.toFixed(3)}s`;
}

function total(h: Histogram | undefined): string {
  return h === undefined ? '-' : String(h.sum);
}

/** Label values longer than this are cut with an ellipsis: one long model name must not widen every row. */
export const MAX_LABEL_COLUMN = 48;

/** Text columns (the labels) align left, numbers right. */
function table(rows: string[][], textColumns: number): string {
  const cells = rows.map((r) => r.map((cell, c) => (c < textColumns ? terminalCell(cell, MAX_LABEL_COLUMN) : cell)));
  const widths = (cells[0] as string[]).map((_, c) => Math.max(...cells.map((r) => cellWidth(r[c] ?? ''))));
  const pad = (cell: string, c: number) => ' '.repeat((widths[c] as number) - cellWidth(cell));
  return cells.map((r) => r.map((cell, c) => (c < textColumns ? cell + pad(cell, c) : pad(cell, c) + cell)).join('  ')).join('\n');
}
