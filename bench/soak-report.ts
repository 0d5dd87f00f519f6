/** The soak's outputs: summary figures, samples.csv, report.html (SVG plots) and summary.json. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lineChartSvg } from '../src/report/svg-charts.js';
import type { CounterCheck, SoakResult, SoakSample } from './soak.js';

const MiB = 2 ** 20;

export interface SoakSummary {
  seconds: number;
  samples: number;
  rssMiB: { start: number; end: number; max: number };
  heapMiB: { start: number; end: number; max: number };
  /** V8's young generation at the end (semi-spaces grow under a steady allocation rate). */
  youngGenerationMiB: { end: number; max: number };
  /** Least-squares slope after the warm-up (the first 10 % of samples, at least 60 s), MiB per hour. */
  heapSlopeMiBPerHour: number;
  /**
   * The leak indicator: slope of the heap's floor (the lowest heap used in each minute, i.e. what
   * survives garbage collection) after the warm-up, MiB per hour. The raw heap is a GC sawtooth.
   */
  heapFloorSlopeMiBPerHour: number;
  rssSlopeMiBPerHour: number;
  cpuPercent: { mean: number; max: number };
  eventLoopP99Ms: { median: number; max: number };
  eventLoopMaxMs: number;
  scrapeMs: { median: number; max: number };
  linesPerSecond: number;
  rotations: number;
  countersEqual: boolean;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor(s.length / 2)] as number);
};

/** Slope of y over x (least squares); 0 with fewer than 2 points. */
export function slope(x: number[], y: number[]): number {
  if (x.length < 2) return 0;
  const mx = mean(x);
  const my = mean(y);
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    num += ((x[i] as number) - mx) * ((y[i] as number) - my);
    den += ((x[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function summarize(samples: SoakSample[], check: CounterCheck, startedAt: number): SoakSummary {
  const first = samples[0];
  const last = samples.at(-1);
  const t0 = first?.t ?? startedAt;
  const warm = samples.filter((s, i) => i >= samples.length / 10 && s.t - t0 >= Math.min(60, ((last?.t ?? t0) - t0) / 10));
  const perHour = (pick: (s: SoakSample) => number) => (slope(warm.map((s) => s.t), warm.map(pick)) * 3600) / MiB;
  const later = samples.slice(1);
  // The heap's floor: the minimum of each window (a minute, or a tenth of a short run).
  const window = Math.max(1, Math.min(60, ((last?.t ?? t0) - t0) / 10));
  const floors = new Map<number, SoakSample>();
  const complete = Math.floor(((last?.t ?? t0) - t0) / window);
  for (const s of warm) {
    const k = Math.floor((s.t - t0) / window);
    if (k >= complete) continue; // a last, partial window's minimum is no floor
    const f = floors.get(k);
    if (f === undefined || s.heapUsedBytes < f.heapUsedBytes) floors.set(k, s);
  }
  const floor = [...floors.values()];
  return {
    seconds: Math.round((last?.t ?? startedAt) - startedAt),
    samples: samples.length,
    rssMiB: { start: round((first?.rssBytes ?? 0) / MiB), end: round((last?.rssBytes ?? 0) / MiB), max: round(max(samples.map((s) => s.rssBytes)) / MiB) },
    heapMiB: { start: round((first?.heapUsedBytes ?? 0) / MiB), end: round((last?.heapUsedBytes ?? 0) / MiB), max: round(max(samples.map((s) => s.heapUsedBytes)) / MiB) },
    youngGenerationMiB: { end: round((last?.youngGenerationBytes ?? 0) / MiB), max: round(max(samples.map((s) => s.youngGenerationBytes)) / MiB) },
    heapSlopeMiBPerHour: round(perHour((s) => s.heapUsedBytes), 2),
    heapFloorSlopeMiBPerHour: round((slope(floor.map((s) => s.t), floor.map((s) => s.heapUsedBytes)) * 3600) / MiB, 2),
    rssSlopeMiBPerHour: round(perHour((s) => s.rssBytes), 2),
    cpuPercent: { mean: round(mean(later.map((s) => s.cpuPercent))), max: round(max(later.map((s) => s.cpuPercent))) },
    eventLoopP99Ms: { median: round(median(samples.map((s) => s.eventLoopP99Seconds * 1000))), max: round(max(samples.map((s) => s.eventLoopP99Seconds * 1000))) },
    eventLoopMaxMs: round(max(samples.map((s) => s.eventLoopMaxSeconds * 1000))),
    scrapeMs: { median: round(median(samples.map((s) => s.scrapeMs))), max: round(max(samples.map((s) => s.scrapeMs))) },
    linesPerSecond: round(mean(later.map((s) => s.linesPerSecond))),
    rotations: check.rotationsSeen,
    countersEqual: check.equal,
  };
}

export function formatSummary(r: SoakResult): string {
  const s = r.summary;
  const c = r.check;
  const lines = Object.entries(c.lines)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `soak summary (${s.seconds} s, ${s.samples} samples, ${r.scrapeFailures} failed scrapes)`,
    `  written:   ${c.written.linesWritten} lines (${c.written.requestsWritten} requests, ${c.written.malformedWritten} malformed), ${c.written.rotations} ${r.options.rotation} rotations`,
    `  counted:   llmtail_lines_total ${lines}; sum(llmtail_requests_total) ${c.requestsTotal}; caught up ${c.catchUpMs} ms after the writer stopped`,
    `  restart:   ${c.afterRestart === undefined ? 'not checked' : `${c.afterRestart.linesTotal} lines, ${c.afterRestart.requestsTotal} requests`}`,
    `  counters:  ${c.equal ? 'EQUAL to lines written' : `NOT EQUAL: ${c.mismatches.join('; ')}`}`,
    `  RSS:       start ${s.rssMiB.start} MiB, end ${s.rssMiB.end} MiB, max ${s.rssMiB.max} MiB, slope ${s.rssSlopeMiBPerHour} MiB/h after warm-up`,
    `  heap used: start ${s.heapMiB.start} MiB, end ${s.heapMiB.end} MiB, max ${s.heapMiB.max} MiB; after warm-up slope ${s.heapSlopeMiBPerHour} MiB/h, slope of the floor (per-minute minimum) ${s.heapFloorSlopeMiBPerHour} MiB/h`,
    `  young generation: end ${s.youngGenerationMiB.end} MiB, max ${s.youngGenerationMiB.max} MiB (part of RSS; cap it with NODE_OPTIONS=--max-semi-space-size=N)`,
    `  CPU:       mean ${s.cpuPercent.mean} % of a core, max ${s.cpuPercent.max} % (per scrape interval)`,
    `  event loop delay: p99 per scrape interval median ${s.eventLoopP99Ms.median} ms, max ${s.eventLoopP99Ms.max} ms; worst single delay ${s.eventLoopMaxMs} ms (sampled every 500 ms)`,
    `  scrapes:   median ${s.scrapeMs.median} ms, max ${s.scrapeMs.max} ms; ${s.linesPerSecond} lines/s counted on average; ${s.rotations} rotations seen`,
    `  sidecar:   ${r.sidecarExit.diedEarly ? 'DIED during the soak' : `exited ${r.sidecarExit.code ?? r.sidecarExit.signal} on SIGTERM`}`,
    `  result:    ${r.ok ? 'PASS' : 'FAIL'}`,
    '',
  ].join('\n');
}

const CSV_COLUMNS: (keyof SoakSample)[] = [
  't',
  'rssBytes',
  'heapUsedBytes',
  'heapTotalBytes',
  'youngGenerationBytes',
  'cpuSeconds',
  'cpuPercent',
  'eventLoopP99Seconds',
  'eventLoopMaxSeconds',
  'linesTotal',
  'linesPerSecond',
  'writerLines',
  'scrapeMs',
  'rotations',
];

export function samplesCsv(samples: SoakSample[]): string {
  const rows = samples.map((s) => CSV_COLUMNS.map((c) => String(round(s[c], 6))).join(','));
  return `${CSV_COLUMNS.join(',')}\n${rows.join('\n')}\n`;
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

export function reportHtml(r: SoakResult): string {
  const x = r.samples.map((s) => s.t);
  const col = (pick: (s: SoakSample) => number) => r.samples.map(pick);
  const charts = [
    lineChartSvg({
      title: 'Memory',
      x,
      series: [
        { label: 'RSS', values: col((s) => s.rssBytes / MiB) },
        { label: 'heap total', values: col((s) => s.heapTotalBytes / MiB) },
        { label: 'young generation', values: col((s) => s.youngGenerationBytes / MiB) },
        { label: 'heap used', values: col((s) => s.heapUsedBytes / MiB) },
      ],
      yUnit: 'MiB',
    }),
    lineChartSvg({ title: 'CPU (per scrape interval)', x, series: [{ label: 'CPU', values: col((s) => s.cpuPercent) }], yUnit: '% of a core' }),
    lineChartSvg({
      title: 'Event-loop delay',
      x,
      series: [
        { label: 'p99 per interval', values: col((s) => s.eventLoopP99Seconds * 1000) },
        { label: 'max per interval', values: col((s) => s.eventLoopMaxSeconds * 1000) },
      ],
      yUnit: 'ms',
    }),
    lineChartSvg({ title: 'Lines counted', x, series: [{ label: 'lines/s', values: col((s) => s.linesPerSecond) }], yUnit: 'lines/s' }),
  ];
  return [
    '<!doctype html><meta charset="utf-8"><title>llmtail soak</title>',
    '<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}pre{background:#f4f4f4;padding:1em;overflow:auto}</style>',
    `<h1>llmtail soak: ${r.ok ? 'PASS' : 'FAIL'}</h1>`,
    `<pre>${escape(formatSummary(r))}</pre>`,
    ...charts.map((svg) => `<figure>${svg}</figure>`),
    '<p>Samples are scrapes of the sidecar\'s own /metrics: process_resident_memory_bytes, nodejs_heap_size_used_bytes, process_cpu_seconds_total, and nodejs_eventloop_lag_p99_seconds / _max_seconds (a monitorEventLoopDelay histogram with a 500 ms timer, reset at each scrape; it records the time between timer firings, so 500 ms is subtracted to give the delay). Raw data: samples.csv, summary.json.</p>',
  ].join('\n');
}

export function writeSoakResults(dir: string, r: SoakResult): void {
  writeFileSync(path.join(dir, 'samples.csv'), samplesCsv(r.samples));
  writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify({ ok: r.ok, options: r.options, summary: r.summary, check: r.check, scrapeFailures: r.scrapeFailures, sidecarExit: r.sidecarExit }, null, 2)}\n`);
  writeFileSync(path.join(dir, 'report.html'), reportHtml(r));
}
