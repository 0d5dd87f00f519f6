import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Backfill, isLiveOnly } from '../../src/backfill/backfill.js';
import { FamilySpool } from '../../src/backfill/family-spool.js';
import { offlineConfig } from '../../src/cli/commands/offline.js';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { Sidecar } from '../../src/sidecar.js';
import { historyLog, line } from '../helpers/history-log.js';

const silent = createLogger('silent', 'json');
const START = Date.UTC(2025, 2, 1) / 1000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-backfill-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The backfill of `text`, pushed in chunks of `chunkBytes` (whole when 0). */
async function backfill(text: string, chunkBytes: number, extra: Partial<ConfigInput> = {}, step = 60): Promise<string> {
  const sidecar = new Sidecar(offlineConfig(configSchema.parse(extra)), silent, { processMetrics: false, gpu: false, timing: 'replay' });
  const spool = new FamilySpool(dir);
  try {
    const b = new Backfill(sidecar, spool, { stepSeconds: step, maxSteps: 10_000, labels: [['job', 'llmtail'], ['instance', 'test']] });
    const splitter = b.splitter();
    const bytes = Buffer.from(text);
    const size = chunkBytes === 0 ? bytes.length : chunkBytes;
    for (let i = 0; i < bytes.length; i += size) splitter.push(bytes.subarray(i, i + size));
    splitter.flush();
    if (b.finish() === undefined) return '';
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await b.writeTo(out);
    out.end();
    return Buffer.concat(chunks).toString();
  } finally {
    spool.dispose();
  }
}

interface Row {
  series: string;
  value: number;
  time: number;
}

function rows(om: string, name?: string): Row[] {
  return om
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const parts = l.split(' ');
      return { series: parts.slice(0, -2).join(' '), value: Number(parts.at(-2)), time: Number(parts.at(-1)) };
    })
    .filter((r) => name === undefined || r.series.startsWith(`${name}{`) || r.series === name);
}

/** sum(name) at each sample time. */
function sumByTime(om: string, name: string): Map<number, number> {
  const sums = new Map<number, number>();
  for (const r of rows(om, name)) sums.set(r.time, (sums.get(r.time) ?? 0) + r.value);
  return sums;
}

const NO_ANOMALY = { anomaly: { enabled: false } } as Partial<ConfigInput>;

describe('backfill', () => {
  const history = historyLog({ startSeconds: START + 13, lines: 900, everySeconds: 2, errorEvery: 100, burst: { fromSeconds: START + 600, seconds: 120 } });
  const text = `${history.map((l) => l.text).join('\n')}\n`;

  it('writes byte-identical output however the input is chunked, bursts included (event time)', async () => {
    const whole = await backfill(text, 0);
    expect(whole.length).toBeGreaterThan(10_000);
    expect(whole).toContain('llmtail_error_bursts_total{');
    for (const size of [1, 7, 4096]) expect(await backfill(text, size)).toBe(whole);
    // The same without the anomaly signals: the request families alone.
    expect(await backfill(text, 7, NO_ANOMALY)).toBe(await backfill(text, 0, NO_ANOMALY));
  });

  it('steps OTLP Collector lines (--preset otlp) by their spans\' times, many requests to a line', async () => {
    const fixture = readFileSync(new URL('../fixtures/otlp/collector-file-exporter.jsonl', import.meta.url), 'utf8');
    const otlp = { preset: 'otlp', default_model: 'm' } as Partial<ConfigInput>;
    const om = await backfill(fixture, 0, otlp);
    const sums = sumByTime(om, 'llmtail_requests_total');
    expect(sums.size).toBeGreaterThan(0);
    expect(sums.get(Math.max(...sums.keys()))).toBe(5);
    expect(await backfill(fixture, 7, otlp)).toBe(om);
  });

  it('has at each step exactly the lines logged up to it, and the last step has them all', async () => {
    const om = await backfill(text, 4096);
    const sums = sumByTime(om, 'llmtail_requests_total');
    const times = [...sums.keys()];
    // Every minute from the first line's step to the last line's, none skipped.
    expect(times[0]).toBe(Math.ceil(history[0]!.time / 60) * 60);
    expect(times.at(-1)).toBe(Math.ceil(history.at(-1)!.time / 60) * 60);
    expect(times.every((t, i) => i === 0 || t - (times[i - 1] as number) === 60)).toBe(true);
    for (const [t, sum] of sums) expect(sum, `at ${t}`).toBe(history.filter((l) => l.time <= t).length);
    expect(sums.get(times.at(-1) as number)).toBe(history.length);
    // The line counter agrees: the line that moved time on is not in the step before it.
    const lines = sumByTime(om, 'llmtail_lines_total');
    for (const [t, sum] of lines) expect(sum, `lines at ${t}`).toBe(history.filter((l) => l.time <= t).length);
    const errors = sumByTime(om, 'llmtail_request_errors_total');
    expect(errors.get(times.at(-1) as number)).toBe(history.filter((l) => l.error).length);
  });

  it('is valid OpenMetrics for promtool: one block per family, series in time order, counters monotonic, # EOF', async () => {
    const om = await backfill(text, 0);
    expect(om.endsWith('\n# EOF\n')).toBe(true);
    const types = om.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
    expect(types).toContain('# TYPE llmtail_requests counter');
    expect(types).toContain('# TYPE llmtail_request_duration_seconds histogram');
    for (const suffix of ['_bucket{', '_sum{', '_count{']) expect(om).toContain(`llmtail_request_duration_seconds${suffix}`);
    // Samples of a family follow its own TYPE line, never another family's.
    let family = '';
    const last = new Map<string, Row>();
    for (const l of om.split('\n')) {
      if (l.startsWith('# TYPE ')) family = l.split(' ')[2] as string;
      if (l === '' || l.startsWith('#')) continue;
      expect(l.startsWith(family)).toBe(true);
      const [r] = rows(l) as [Row];
      const before = last.get(r.series);
      if (before !== undefined) {
        expect(r.time).toBeGreaterThan(before.time);
        if (types.includes(`# TYPE ${family} counter`)) expect(r.value).toBeGreaterThanOrEqual(before.value);
      }
      last.set(r.series, r);
    }
    expect(om).toMatch(/^llmtail_build_info\{.*job="llmtail",instance="test"\} 1 \d+$/m);
  });

  it('leaves out the families that describe the running process, not the log', async () => {
    const om = await backfill(text, 0);
    const families = om.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2] as string);
    expect(families.filter((f) => isLiveOnly(f) || isLiveOnly(`${f}_total`))).toEqual([]);
    expect(families).not.toContain('llmtail_read_bytes');
    expect(families).not.toContain('llmtail_summarizer_calls');
    expect(families).toContain('llmtail_error_bursts');
  });

  it('counts a line without a timestamp at the last time seen, and a late line in the next step', async () => {
    const t0 = START;
    const noTime = JSON.stringify({ model: 'Qwen/Qwen2.5-7B-Instruct', total_time_ms: 100, status: 'success' });
    const input = [line(0, t0 + 10, false), line(1, t0 + 70, false), noTime, line(2, t0 + 30, false), line(3, t0 + 130, false)];
    const sums = sumByTime(await backfill(`${input.join('\n')}\n`, 0, NO_ANOMALY), 'llmtail_requests_total');
    expect([...sums]).toEqual([
      [t0 + 60, 1],
      // +70, the line without time and the late +30.
      [t0 + 120, 4],
      [t0 + 180, 5],
    ]);
  });

  it('writes nothing when no line has a timestamp, and leaves no spool files behind', async () => {
    const noTime = JSON.stringify({ model: 'm', total_time_ms: 100, status: 'success' });
    expect(await backfill(`${noTime}\n${noTime}\n`, 0)).toBe('');
    expect(readdirSync(dir)).toEqual([]);
  });
});
