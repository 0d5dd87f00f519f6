import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLiveOnly } from '../../src/backfill/backfill.js';
import { runCli } from '../helpers/cli.js';
import { historyLog, type HistoryLine } from '../helpers/history-log.js';
import { freePort, instantQuery, startDaemon, type Daemon } from '../observability/servers.js';

/**
 * History into Prometheus with the real programs: `llmtail backfill` on four hours of a log (one
 * line every 2 s, 1 % errors, a 10-minute burst), Debian's `promtool tsdb create-blocks-from
 * openmetrics`, and Debian's Prometheus started on the blocks it made, queried at event times.
 */

const START = Date.UTC(2025, 2, 1) / 1000;
const STEP = 60;
const MID = START + 2 * 3600 + 23 * STEP;

describe('backfill → promtool → Prometheus', () => {
  let dir: string;
  const history: HistoryLine[] = historyLog({ startSeconds: START, lines: 7200, everySeconds: 2, errorEvery: 100, burst: { fromSeconds: START + 2 * 3600, seconds: 600 } });
  let om: string;
  let prometheus: Daemon | undefined;
  let prom = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmtail-backfill-'));
    writeFileSync(path.join(dir, 'requests.jsonl'), `${history.map((l) => l.text).join('\n')}\n`);

    const run = await runCli(['backfill', path.join(dir, 'requests.jsonl'), '--out', path.join(dir, 'history.om'), '--step', String(STEP)]);
    expect(run.code, run.stderr).toBe(0);
    om = readFileSync(path.join(dir, 'history.om'), 'utf8');

    execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', path.join(dir, 'history.om'), path.join(dir, 'data')], { stdio: 'pipe' });
    // No scrape jobs: the head stays empty, so the imported block is the newest and within retention.
    writeFileSync(path.join(dir, 'prometheus.yml'), 'global: {}\n');
    const port = await freePort();
    prom = `http://127.0.0.1:${port}`;
    prometheus = await startDaemon(
      'prometheus',
      '/usr/bin/prometheus',
      [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      `${prom}/-/ready`,
    );
  });

  afterAll(async () => {
    await prometheus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const scalar = async (query: string, time: number): Promise<number> => {
    const res = await instantQuery(prom, query, time);
    expect(res.status, res.error).toBe('success');
    expect(res.data?.result, `${query} at ${time}`).toHaveLength(1);
    return Number(res.data?.result[0]?.value[1]);
  };
  const upTo = (t: number) => history.filter((l) => l.time <= t);
  const end = Math.ceil(history.at(-1)!.time / STEP) * STEP;

  it('has every line at the last step and the lines up to a midpoint at that step', async () => {
    expect(await scalar('sum(llmtail_requests_total)', end)).toBe(history.length);
    expect(await scalar('sum(llmtail_request_errors_total)', end)).toBe(history.filter((l) => l.error).length);
    expect(await scalar('sum(llmtail_requests_total)', MID)).toBe(upTo(MID).length);
    expect(await scalar('sum(llmtail_request_errors_total)', MID)).toBe(upTo(MID).filter((l) => l.error).length);
    // The burst shows in the error rate the dashboards plot.
    const burstRate = await scalar('sum(increase(llmtail_request_errors_total[5m]))', START + 2 * 3600 + 300);
    const quietRate = await scalar('sum(increase(llmtail_request_errors_total[5m]))', START + 3600);
    expect(burstRate).toBeGreaterThan(10 * quietRate);
  });

  it('answers a histogram quantile from the backfilled buckets', async () => {
    const p95 = await scalar('histogram_quantile(0.95, sum by (le) (rate(llmtail_request_duration_seconds_bucket[5m])))', MID);
    // total_time_ms in the log runs from 0.2 s to 4.2 s.
    expect(p95).toBeGreaterThan(0.2);
    expect(p95).toBeLessThanOrEqual(5);
  });

  it('puts the job and instance labels the dashboards select by on every series', async () => {
    const res = await instantQuery(prom, 'count by (job, instance) (llmtail_build_info)', end);
    expect(res.data?.result.map((r) => r.metric)).toEqual([{ job: 'llmtail', instance: 'backfill' }]);
  });

  it("has replay's totals at its last step", async () => {
    const replay = await runCli(['replay', '--format', 'openmetrics', path.join(dir, 'requests.jsonl')]);
    expect(replay.code, replay.stderr).toBe(0);
    const replayed = replay.stdout
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.replace(/ # \{.*$/, ''))
      .filter((l) => !isLiveOnly(l.replace(/[{ ].*/, '')));
    const lastStep = om
      .split('\n')
      .filter((l) => l.endsWith(` ${end}`))
      .map((l) => l.slice(0, -` ${end}`.length).replace(/,?job="llmtail",instance="backfill"/, '').replace('{}', ''));
    expect(lastStep.length).toBeGreaterThan(100);
    expect(lastStep.sort()).toEqual(replayed.sort());
  });

  it('stops with an error and writes nothing when the log spans more steps than --max-steps', async () => {
    const out = path.join(dir, 'limited', 'history.om');
    mkdirSync(path.dirname(out));
    const run = await runCli(['backfill', path.join(dir, 'requests.jsonl'), '--out', out, '--max-steps', '100']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--max-steps');
    // Neither the output nor the spool directory beside it.
    expect(readdirSync(path.dirname(out))).toEqual([]);
  });
});
