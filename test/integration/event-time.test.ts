import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertSink, type AlertSink } from '../helpers/alert-sink.js';
import { eventually, runCli, startCli } from '../helpers/cli.js';
import { parseExposition } from '../helpers/exposition.js';
import { historyLog, type HistoryOptions } from '../helpers/history-log.js';

/**
 * Issue 12 through the real CLI: bursts follow the log's own clock. A log from the past with one
 * injected burst gives exactly that incident, with its real start, in every report format and
 * however it is read; a sidecar catching up on it pages no one, while a burst written live does.
 */

interface ReportIncident {
  model: string;
  started_at: string;
  ended_at: string;
  lines: number;
  top_templates: { template: string; count: number }[];
}

const START = Date.UTC(2026, 0, 5, 0, 0, 0);
const BURST = { atSeconds: 5400, seconds: 90 };
const MODEL = 'Qwen/Qwen2.5-7B-Instruct';
let dir: string;

/** `hours` of one model's traffic at `rate` requests/s from `startMs`, 1 % errors, and every other request failing in the burst. */
function history(startMs: number, hours: number, rate: number, burst?: { atSeconds: number; seconds: number }, extra: Partial<HistoryOptions> = {}) {
  const startSeconds = startMs / 1000;
  return historyLog({
    startSeconds,
    lines: hours * 3600 * rate,
    everySeconds: 1 / rate,
    errorEvery: 100,
    models: [MODEL],
    ...(burst !== undefined ? { burst: { fromSeconds: startSeconds + burst.atSeconds, seconds: burst.seconds } } : {}),
    ...extra,
  });
}
const text = (lines: { text: string }[]) => `${lines.map((l) => l.text).join('\n')}\n`;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-event-time-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report on a log from the past', () => {
  it('three hours of steady traffic with ~1 % errors and one injected burst: exactly that incident, with its real start', async () => {
    // Lines stamped up to 2 s out of order, as several workers write them.
    const log = history(START, 3, 5, BURST, { lateSeconds: 2 });
    const firstBurstError = (log.find((l) => l.inBurst && l.error)?.time as number) * 1000;
    const file = path.join(dir, 'history.jsonl');
    writeFileSync(file, text(log));
    const { code, stdout, stderr } = await runCli(['report', file, '--format', 'json']);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as { incidents: ReportIncident[]; overall: { requests: number } };
    expect(report.overall.requests).toBe(log.length);
    expect(report.incidents).toHaveLength(1);
    const [incident] = report.incidents as [ReportIncident];
    const burstStart = START + BURST.atSeconds * 1000;
    const started = Date.parse(incident.started_at);
    // Detected within seconds of the injected start (20 lines at ~2.5 errors/s), on the log's clock.
    expect(started).toBeGreaterThanOrEqual(firstBurstError);
    expect(started - burstStart).toBeLessThan(20_000);
    const ended = Date.parse(incident.ended_at);
    expect(ended).toBeGreaterThan(burstStart + BURST.seconds * 1000);
    expect(ended - (burstStart + BURST.seconds * 1000)).toBeLessThan(120_000);
    expect(incident.model).toBe(MODEL);
    expect(incident.lines).toBeGreaterThan(150);
    expect(incident.top_templates[0]?.template).toBe('CUDA out of memory. Tried to allocate <NUM> GiB');

    // Every other format lists it too.
    for (const format of ['table', 'markdown', 'html']) {
      const out = await runCli(['report', file, '--format', format]);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('Error bursts (incidents)');
      expect(out.stdout).toContain(incident.started_at);
    }
  });

  it('the same steady traffic without the burst has no incident, read at full speed', async () => {
    const file = path.join(dir, 'steady.jsonl');
    writeFileSync(file, text(history(START, 3, 20, undefined, { lateSeconds: 2 })));
    const { code, stdout } = await runCli(['report', file, '--format', 'json']);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { incidents: unknown[] }).incidents).toEqual([]);
    const replay = await runCli(['replay', file]);
    expect(parseExposition(replay.stdout).sum('llmtail_error_bursts_total')).toBe(0);
  });

  it('replay gives the same output from a file and from stdin', async () => {
    const file = path.join(dir, 'hour.jsonl');
    const lines = text(history(START, 1, 5, { atSeconds: 1800, seconds: 60 }, { lateSeconds: 2 }));
    writeFileSync(file, lines);
    const fromFile = await runCli(['replay', file]);
    const fromStdin = await runCli(['replay', '-'], { input: lines });
    expect(parseExposition(fromFile.stdout).get('llmtail_error_bursts_total', { model: MODEL })).toBe(1);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
  });
});

describe('a sidecar catching up on a backlog', () => {
  let sink: AlertSink;
  beforeAll(async () => {
    sink = await startAlertSink();
  });
  afterAll(() => sink.close());

  it('records the burst of the backlog without posting it; a burst written live is posted', async () => {
    // The same kind of log, ending two hours ago, read with --from-beginning.
    const start = Date.now() - 5 * 3_600_000;
    const log = history(start, 3, 2, { atSeconds: 3600, seconds: 120 });
    const file = path.join(dir, 'backlog.jsonl');
    writeFileSync(file, text(log));
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, `alertmanager:\n  url: ${sink.url}\n  resend_interval_ms: 600000\n`);
    const cli = await startCli(['run', '--config', config, '--input', file, '--from-beginning', '--web.listen-address', '127.0.0.1:0']);
    try {
      await eventually(async () => {
        const m = parseExposition(await (await fetch(cli.url('/metrics'))).text());
        return m.sum('llmtail_lines_total') === log.length ? true : undefined;
      }, 30_000, 'the backlog to be read');
      const incidents = async () => ((await (await fetch(cli.url('/api/incidents'))).json()) as { incidents: { status: string; backlog: boolean; started_at: string }[] }).incidents;
      const [past] = await incidents();
      expect(past).toMatchObject({ status: 'resolved', backlog: true });
      expect(Date.parse(past?.started_at ?? '')).toBeGreaterThanOrEqual(start + 3_600_000);
      expect(Date.parse(past?.started_at ?? '')).toBeLessThan(start + 3_600_000 + 30_000);

      // Now a burst, live: lines stamped with the time they are written.
      const line = (i: number) =>
        JSON.stringify({ timestamp: new Date().toISOString(), model: 'Qwen/Qwen2.5-7B-Instruct', input_tokens: 10, output_tokens: 0, total_time_ms: 30, status: 'error', error_type: 'oom', error: `CUDA out of memory (request ${i})` });
      appendFileSync(file, `${Array.from({ length: 60 }, (_, i) => line(i)).join('\n')}\n`);
      await eventually(async () => (sink.posts.length >= 1 ? true : undefined), 20_000, 'the live burst to be posted');
      const live = (await incidents())[0];
      expect(live).toMatchObject({ status: 'active', backlog: false });
      // Only the live burst was ever posted.
      expect(new Set(sink.posts.flat().map((a) => a.labels.incident_id)).size).toBe(1);
    } finally {
      await cli.stop();
    }
  });
});
