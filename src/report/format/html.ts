import { escapeHtml } from '../escape.js';
import type { Report } from '../report-data.js';
import { barChartSvg, lineChartSvg } from '../svg-charts.js';
import { reportSections, reportTitle, type Block, type SectionOptions } from './sections.js';

/**
 * One self-contained HTML file: inline CSS, charts as inline SVG, no script and no external
 * resource (a Content-Security-Policy forbids both, in case). Every text from the log is escaped.
 * Readable on screen and on paper.
 */
export function formatHtml(report: Report, options: SectionOptions): string {
  const title = escapeHtml(reportTitle(report));
  const [summary, ...rest] = reportSections(report, options);
  const body: string[] = [`<header><h1>${title}</h1></header>`];
  if (summary !== undefined) body.push(section(summary.title, summary.blocks));
  body.push(charts(report));
  for (const s of rest) body.push(section(s.title, s.blocks));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #111827; background: #fff; max-width: 1100px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 20px; margin: 0 0 8px; word-break: break-all; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #f0f1f3; text-align: left; vertical-align: top; }
th { background: #f9fafb; font-weight: 600; }
td.n, th.n { text-align: right; white-space: nowrap; }
table.facts th { background: none; font-weight: 500; color: #374151; white-space: nowrap; }
td.t { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-word; }
p.note { color: #4b5563; margin: 6px 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 12px; }
.charts svg { width: 100%; height: auto; border: 1px solid #e5e7eb; border-radius: 4px; }
@media print { body { margin: 0; max-width: none; } section, svg, table { break-inside: avoid; } .charts { grid-template-columns: 1fr 1fr; } }
`;

function section(title: string, blocks: Block[]): string {
  return `<section>${title !== '' ? `<h2>${escapeHtml(title)}</h2>` : ''}${blocks.map(block).join('')}</section>`;
}

function block(b: Block): string {
  switch (b.kind) {
    case 'facts':
      return `<table class="facts">${b.rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
    case 'note':
      return `<p class="note">${escapeHtml(b.text)}</p>`;
    case 'table': {
      const cls = (c: number) => (b.numeric[c] ? ' class="n"' : b.header[c] === 'template' ? ' class="t"' : '');
      const head = `<tr>${b.header.map((h, c) => `<th${cls(c)}>${escapeHtml(h)}</th>`).join('')}</tr>`;
      const rows = b.rows.map((r) => `<tr>${r.map((cell, c) => `<td${cls(c)}>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('');
      return `<table><thead>${head}</thead><tbody>${rows}</tbody></table>`;
    }
  }
}

function charts(r: Report): string {
  const buckets = r.timeline.buckets;
  const x = buckets.map((b) => b.start_unix_seconds);
  const pct = (k: 'p50' | 'p95' | 'p99') => buckets.map((b) => b.e2e_latency_seconds?.[k] ?? Number.NaN);
  const width = `${r.timeline.bucket_seconds} s buckets`;
  const svgs = [
    lineChartSvg({
      title: `End-to-end latency (${width})`,
      x,
      yUnit: 's',
      series: [
        { label: 'P50', values: pct('p50') },
        { label: 'P95', values: pct('p95') },
        { label: 'P99', values: pct('p99') },
      ],
    }),
    lineChartSvg({
      title: `Requests per second (${width})`,
      x,
      yUnit: 'req/s',
      series: [
        { label: 'requests/s', values: buckets.map((b) => b.requests_per_second) },
        { label: 'failed/s', values: buckets.map((b) => b.errors / b.seconds_covered), color: '#dc2626' },
      ],
    }),
    lineChartSvg({
      title: `Tokens per second (${width})`,
      x,
      yUnit: 'tokens/s',
      series: [
        { label: 'output tokens/s', values: buckets.map((b) => b.output_tokens_per_second) },
        { label: 'input tokens/s', values: buckets.map((b) => b.input_tokens_per_second), color: '#059669' },
      ],
    }),
    barChartSvg({ title: 'End-to-end latency histogram', bins: r.histograms.e2e_latency_seconds, xUnit: 's' }),
    barChartSvg({ title: 'Prompt tokens per request', bins: r.histograms.prompt_tokens, xUnit: 'tokens', color: '#059669' }),
    barChartSvg({ title: 'Completion tokens per request', bins: r.histograms.completion_tokens, xUnit: 'tokens', color: '#d97706' }),
  ];
  const note =
    buckets.length === 0
      ? '<p class="note">No timestamps in these logs: no charts over time.</p>'
      : `<p class="note">Over time: ${escapeHtml(width)} by the logs' own timestamps (UTC); latency points within ±${r.percentiles.timeline_relative_error * 100} %; rates in the first and last buckets are over their part of the span. Histograms: the last, lighter bar holds everything above the P99.</p>`;
  return `<section><h2>Charts</h2><div class="charts">${svgs.join('\n')}</div>${note}</section>`;
}
