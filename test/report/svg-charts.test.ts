import { describe, expect, it } from 'vitest';
import { barChartSvg, formatNumber, lineChartSvg, niceTicks, timeTicks } from '../../src/report/svg-charts.js';

const T0 = Date.UTC(2025, 0, 1, 12) / 1000;

describe('lineChartSvg', () => {
  it('draws one path per series through every finite point, with a legend', () => {
    const svg = lineChartSvg({
      title: 'Latency',
      x: [T0, T0 + 60, T0 + 120, T0 + 180],
      series: [
        { label: 'P50', values: [1, 2, 3, 4] },
        { label: 'P99', values: Float64Array.from([2, 4, 6, 8]), color: '#ff0000' },
      ],
      yUnit: 's',
    });
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    const paths = svg.match(/<path d="([^"]+)"/g) ?? [];
    expect(paths).toHaveLength(2);
    expect((paths[0]?.match(/[ML]/g) ?? []).length).toBe(4);
    expect(svg).toContain('stroke="#ff0000"');
    expect(svg).toContain('>P50</text>');
    expect(svg).toContain('>12:01:00</text>'); // 3 min span: ticks every 30 s
  });

  it('leaves a gap at non-finite values, and marks an isolated point', () => {
    const svg = lineChartSvg({ title: 't', x: [T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4], series: [{ label: 'a', values: [1, Number.NaN, 3, Number.NaN, 2] }], yUnit: 'x' });
    const d = /<path d="([^"]+)"/.exec(svg)?.[1] ?? '';
    expect(d.match(/M/g)).toHaveLength(3);
    expect(d).not.toContain('L');
    expect(svg.match(/<circle /g)).toHaveLength(3);
  });

  it('escapes the title, labels and unit, and refuses a color that is not a color', () => {
    const svg = lineChartSvg({ title: '<script>x</script>', x: [T0], series: [{ label: '"><b>', values: [1], color: 'red" onload="x' }], yUnit: '<u>' });
    expect(svg).not.toMatch(/<script|<b>|<u>|onload/);
    expect(svg).toContain('&lt;script&gt;x&lt;/script&gt;');
  });

  it('says "no data" when there is none', () => {
    expect(lineChartSvg({ title: 't', x: [], series: [{ label: 'a', values: [] }], yUnit: 's' })).toContain('no data');
  });
});

describe('barChartSvg', () => {
  it('one rect per bin with its range and count as a tooltip; the tail bar labelled ≥', () => {
    const svg = barChartSvg({
      title: 'h',
      bins: [
        { from: 0, to: 1, count: 3 },
        { from: 1, to: 2, count: 5 },
        { from: 2, to: 50, count: 1 },
      ],
      xUnit: 's',
    });
    expect(svg.match(/<rect x=/g)).toHaveLength(3);
    expect(svg).toContain('<title>1–2 s: 5</title>');
    expect(svg).toContain('>≥2</text>');
  });
});

describe('axes', () => {
  it('nice ticks from 0 past the maximum', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(0.99)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(47)).toEqual([0, 10, 20, 30, 40, 50]);
  });

  it('time ticks at round UTC times, labelled to the step', () => {
    expect(timeTicks(T0 + 7, T0 + 7 + 3600).map((t) => t.label)).toEqual(['12:10', '12:20', '12:30', '12:40', '12:50', '13:00']);
    expect(timeTicks(T0, T0 + 20)[1]?.label).toBe('12:00:05');
    expect(timeTicks(T0, T0 + 3 * 86_400).map((t) => t.label)[1]).toBe('01-02 00:00');
    expect(timeTicks(T0, T0 + 30 * 86_400).map((t) => t.label)[1]).toBe('01-09'); // weekly ticks
  });

  it('numbers shorten', () => {
    expect([0, 0.25, 1234, 12_345, 2_500_000, 12_000_000_000].map(formatNumber)).toEqual(['0', '0.25', '1234', '12.3k', '2500k', '12G']);
  });
});
