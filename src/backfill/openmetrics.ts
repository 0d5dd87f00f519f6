import type { Collector, Sample } from '../exposition/registry.js';

/**
 * OpenMetrics text for backfill: the same names, labels and values as `replay --format
 * openmetrics` (the metrics library's rendering), plus a sample timestamp in seconds. Exemplars
 * are left out: they point at traces of requests long gone.
 */

/** OpenMetrics family name: a counter's family drops the `_total` its samples carry. */
export function familyName(collector: Pick<Collector, 'name' | 'type'>): string {
  return collector.type === 'counter' ? collector.name.replace(/_total$/, '') : collector.name;
}

export function familyHeader(collector: Pick<Collector, 'name' | 'type' | 'help'>): string {
  const name = familyName(collector);
  return `# HELP ${name} ${escape(collector.help)}\n# TYPE ${name} ${collector.type}\n`;
}

/**
 * One line per sample at `timeSeconds`. `extraLabels` (already rendered, `,a="b"` form) go on every
 * series: the job and instance a scrape would have added.
 */
export function sampleLines(collector: Pick<Collector, 'name' | 'type'>, samples: readonly Sample[], timeSeconds: number, extraLabels: string): string {
  const counterName = collector.type === 'counter' ? `${familyName(collector)}_total` : undefined;
  let out = '';
  for (const s of samples) {
    let labels = '';
    for (const [k, v] of Object.entries(s.labels)) {
      if (s.sharedLabels === undefined || !Object.hasOwn(s.sharedLabels, k)) labels += `,${k}="${escapeLabel(v)}"`;
    }
    if (s.sharedLabels !== undefined) for (const [k, v] of Object.entries(s.sharedLabels)) labels += `,${k}="${escapeLabel(v)}"`;
    labels += extraLabels;
    const name = counterName ?? s.metricName ?? collector.name;
    out += `${name}${labels === '' ? '' : `{${labels.slice(1)}}`} ${formatValue(s.value)} ${timeSeconds}\n`;
  }
  return out;
}

/** `,k="v"` pairs in the given order. */
export function renderLabels(labels: readonly (readonly [string, string])[]): string {
  return labels.map(([k, v]) => `,${k}="${escapeLabel(v)}"`).join('');
}

function formatValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v < 0 ? '-Inf' : '+Inf';
}

function escape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(v: string | number): string {
  return typeof v === 'number' ? String(v) : escape(v).replace(/"/g, '\\"');
}
