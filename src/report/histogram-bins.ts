import type { DistributionView } from './distribution.js';

/** One histogram bar: values in [from, to), the last bar of a histogram includes `to`. */
export interface HistogramBin {
  from: number;
  to: number;
  count: number;
}

/** The smallest of 1, 2, 5 × 10^k that is at least `x` (> 0). */
export function niceStep(x: number): number {
  const power = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * power >= x * (1 - 1e-12)) return m * power;
  return 10 * power;
}

/**
 * Equal-width bars from 0 up to the P99 (about `targetBins` of them, with a round width), and one
 * last bar from there to the maximum for the 1 % tail, so a few outliers do not squash the shape.
 */
export function histogramBins(d: DistributionView, targetBins = 30): HistogramBin[] {
  if (d.count === 0) return [];
  if (!(d.max > 0)) return [{ from: 0, to: 0, count: d.count }];
  const p99 = d.percentile(99) as number;
  const top = p99 > 0 ? p99 : d.max;
  const step = niceStep(top / targetBins);
  const regular = Math.max(1, Math.ceil(top / step - 1e-9));
  const edge = regular * step;
  const bins: HistogramBin[] = [];
  for (let i = 0; i < regular; i++) bins.push({ from: i * step, to: (i + 1) * step, count: 0 });
  const tail: HistogramBin = { from: edge, to: d.max, count: 0 };
  d.forEachValue((value, count) => {
    // Index from the division, corrected where float rounding put a value on the wrong side of an edge.
    let i = Math.floor(value / step);
    if (i > 0 && value < i * step) i--;
    else if ((i + 1) * step <= value) i++;
    if (i < regular) (bins[Math.max(0, i)] as HistogramBin).count += count;
    else if (value === edge && d.max === edge) (bins[regular - 1] as HistogramBin).count += count;
    else tail.count += count;
  });
  if (tail.count > 0) bins.push(tail);
  return bins;
}
