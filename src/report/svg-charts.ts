import { escapeHtml } from './escape.js';
import type { HistogramBin } from './histogram-bins.js';

/**
 * Charts as inline SVG strings, generated here so an HTML report needs no script or library: a
 * line chart over time and a bar chart of a histogram. Every text that reaches the markup is
 * escaped. Non-finite values leave a gap in a line.
 */

export const PALETTE = ['#2563eb', '#d97706', '#dc2626', '#059669', '#7c3aed', '#0891b2'];

export interface LineSeries {
  label: string;
  values: ArrayLike<number>;
  color?: string;
}

export interface LineChartOptions {
  title: string;
  /** Unix seconds, ascending, one per value of each series. */
  x: ArrayLike<number>;
  series: LineSeries[];
  /** Unit of the y axis, shown beside it ("s", "req/s", "tokens/s", "MiB"…). */
  yUnit: string;
  width?: number;
  height?: number;
}

export interface BarChartOptions {
  title: string;
  bins: readonly HistogramBin[];
  /** Unit of the x axis (the binned value). */
  xUnit: string;
  yUnit?: string;
  color?: string;
  width?: number;
  height?: number;
}

const MARGIN = { left: 64, right: 16, top: 34, bottom: 52 };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/** A line chart of one or more series over time (UTC axis labels). */
export function lineChartSvg(opts: LineChartOptions): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 260;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const n = opts.x.length;
  const xs = Array.from(opts.x);
  let x0 = Infinity;
  let x1 = -Infinity;
  for (const t of xs) {
    if (t < x0) x0 = t;
    if (t > x1) x1 = t;
  }
  if (n === 0) [x0, x1] = [0, 1];
  const xSpan = x1 > x0 ? x1 - x0 : 1;
  let yMax = 0;
  for (const s of opts.series) for (let i = 0; i < s.values.length; i++) if (Number.isFinite(s.values[i]) && (s.values[i] as number) > yMax) yMax = s.values[i] as number;
  const yTicks = niceTicks(yMax);
  const yTop = yTicks[yTicks.length - 1] as number;
  const px = (t: number) => MARGIN.left + ((t - x0) / xSpan) * plotW;
  const py = (v: number) => MARGIN.top + plotH - (v / yTop) * plotH;

  const parts: string[] = [open(width, height, opts.title), yAxis(yTicks, py, width, opts.yUnit)];
  for (const t of timeTicks(x0, x1)) {
    const x = px(t.at);
    parts.push(`<line x1="${r(x)}" y1="${MARGIN.top + plotH}" x2="${r(x)}" y2="${MARGIN.top + plotH + 4}" stroke="#6b7280"/>`);
    parts.push(`<text x="${r(x)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" font-size="11" fill="#374151">${escapeHtml(t.label)}</text>`);
  }
  parts.push(`<text x="${MARGIN.left + plotW}" y="${height - 22}" text-anchor="end" font-size="10" fill="#6b7280">UTC</text>`);

  opts.series.forEach((s, k) => {
    const color = safeColor(s.color) ?? (PALETTE[k % PALETTE.length] as string);
    let d = '';
    let pen = false;
    const dots: string[] = [];
    for (let i = 0; i < n; i++) {
      const v = s.values[i];
      if (v === undefined || !Number.isFinite(v)) {
        pen = false;
        continue;
      }
      const next = s.values[i + 1];
      const alone = !pen && (next === undefined || !Number.isFinite(next));
      if (alone) dots.push(`<circle cx="${r(px(xs[i] as number))}" cy="${r(py(v))}" r="2.5" fill="${color}"/>`);
      d += `${pen ? 'L' : 'M'}${r(px(xs[i] as number))} ${r(py(v))}`;
      pen = true;
    }
    if (d !== '') parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6" stroke-linejoin="round"/>`);
    parts.push(...dots);
  });
  parts.push(legend(opts.series.map((s, k) => ({ label: s.label, color: safeColor(s.color) ?? (PALETTE[k % PALETTE.length] as string) })), height));
  if (n === 0) parts.push(noData(width, height));
  parts.push('</svg>');
  return parts.join('');
}

/** A histogram as bars; the x axis is labelled at bar edges. */
export function barChartSvg(opts: BarChartOptions): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 240;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const bins = opts.bins;
  const color = safeColor(opts.color) ?? (PALETTE[0] as string);
  const yTicks = niceTicks(bins.reduce((m, b) => Math.max(m, b.count), 0));
  const yTop = yTicks[yTicks.length - 1] as number;
  const py = (v: number) => MARGIN.top + plotH - (v / yTop) * plotH;
  const parts: string[] = [open(width, height, opts.title), yAxis(yTicks, py, width, opts.yUnit ?? 'requests')];
  const barW = bins.length > 0 ? plotW / bins.length : plotW;
  const labelEvery = Math.max(1, Math.ceil(bins.length / 8));
  const isTail = (i: number): boolean =>
    i === bins.length - 1 && i > 0 && (bins[i] as HistogramBin).to - (bins[i] as HistogramBin).from !== (bins[0] as HistogramBin).to - (bins[0] as HistogramBin).from;
  const lastIsTail = isTail(bins.length - 1);
  bins.forEach((b, i) => {
    const x = MARGIN.left + i * barW;
    const y = py(b.count);
    const tail = isTail(i);
    parts.push(
      `<rect x="${r(x + 0.5)}" y="${r(y)}" width="${r(Math.max(1, barW - 1))}" height="${r(MARGIN.top + plotH - y)}" fill="${color}"${tail ? ' fill-opacity="0.55"' : ''}><title>${escapeHtml(`${formatNumber(b.from)}–${formatNumber(b.to)} ${opts.xUnit}: ${b.count}`)}</title></rect>`,
    );
    // A regular label right before the wider "≥" tail label would overlap it.
    const crowdsTail = lastIsTail && i !== bins.length - 1 && bins.length - 1 - i < Math.max(2, labelEvery / 2);
    if ((i % labelEvery === 0 && !crowdsTail) || tail) {
      parts.push(`<text x="${r(x)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" font-size="11" fill="#374151">${escapeHtml(tail ? `≥${formatNumber(b.from)}` : formatNumber(b.from))}</text>`);
    }
  });
  parts.push(`<text x="${MARGIN.left + plotW}" y="${height - 22}" text-anchor="end" font-size="10" fill="#6b7280">${escapeHtml(opts.xUnit)}</text>`);
  if (bins.length === 0) parts.push(noData(width, height));
  parts.push('</svg>');
  return parts.join('');
}

/** 0 and up to six round steps reaching at least `max`. */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  if ((ticks[ticks.length - 1] as number) < max) ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800];

/** Round UTC times between x0 and x1 (at most about 7), labelled to the precision of the step. */
export function timeTicks(x0: number, x1: number): { at: number; label: string }[] {
  const span = Math.max(1, x1 - x0);
  const step = TIME_STEPS.find((s) => span / s <= 7) ?? Math.ceil(span / 7 / 86_400) * 86_400;
  const out: { at: number; label: string }[] = [];
  for (let t = Math.ceil(x0 / step) * step; t <= x1; t += step) out.push({ at: t, label: timeLabel(t, step, span) });
  return out;
}

function timeLabel(t: number, step: number, span: number): string {
  const iso = new Date(t * 1000).toISOString(); // 2025-01-01T12:34:56.000Z
  if (span >= 86_400) return step >= 86_400 ? iso.slice(5, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return step < 60 ? iso.slice(11, 19) : iso.slice(11, 16);
}

/** Short human number: 4 significant digits below 10,000, then 3 with k/M/G. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e10) return `${trim(v / 1e9)}G`;
  if (a >= 1e7) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  return trim(v, 4);
}

function trim(v: number, digits = 3): string {
  if (v === 0) return '0';
  return Number(v.toPrecision(digits)).toString();
}

function open(width: number, height: number, title: string): string {
  const t = escapeHtml(title);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${t}" ${FONT}>` +
    `<title>${t}</title><rect width="${width}" height="${height}" fill="#ffffff"/>` +
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="600" fill="#111827">${t}</text>`
  );
}

function yAxis(ticks: readonly number[], py: (v: number) => number, width: number, unit: string): string {
  const parts: string[] = [];
  for (const v of ticks) {
    const y = r(py(v));
    parts.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${width - MARGIN.right}" y2="${y}" stroke="${v === 0 ? '#6b7280' : '#e5e7eb'}"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y}" dy="4" text-anchor="end" font-size="11" fill="#374151">${escapeHtml(formatNumber(v))}</text>`);
  }
  parts.push(`<text x="${MARGIN.left - 6}" y="${MARGIN.top - 8}" text-anchor="end" font-size="10" fill="#6b7280">${escapeHtml(unit)}</text>`);
  return parts.join('');
}

function legend(items: { label: string; color: string }[], height: number): string {
  let x = MARGIN.left;
  const y = height - 10;
  return items
    .map((it) => {
      const out = `<rect x="${x}" y="${y - 9}" width="12" height="3" fill="${it.color}"/><text x="${x + 16}" y="${y - 5}" font-size="11" fill="#374151" dy="3">${escapeHtml(it.label)}</text>`;
      x += 28 + it.label.length * 6.5;
      return out;
    })
    .join('');
}

function noData(width: number, height: number): string {
  return `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="13" fill="#6b7280">no data</text>`;
}

/** A caller's color goes into an attribute: only #hex and plain names pass. */
function safeColor(color: string | undefined): string | undefined {
  return color !== undefined && /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,20})$/.test(color) ? color : undefined;
}

const r = (v: number): string => (Math.round(v * 10) / 10).toString();
