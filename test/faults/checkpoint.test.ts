import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startCli, type RunningCli } from '../helpers/cli.js';
import { appendLines, counts, isRoot, logLines, requestLine, scrape } from '../helpers/faults.js';

/**
 * Checkpoint faults through the real CLI: the state directory's disk fills up while checkpoints
 * are being written, and the state directory is deleted under a running sidecar. In both, counting
 * and serving go on, the failure is reported, the checkpoint on disk is never a torn one, and a
 * restart continues from the last good checkpoint with exact counts.
 */

let dir: string;
let clis: RunningCli[] = [];
let holders: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-fault-ckpt-'));
});

afterEach(async () => {
  for (const cli of clis) if (cli.proc.exitCode === null && cli.proc.signalCode === null) await cli.stop('SIGKILL');
  for (const h of holders) h.kill('SIGKILL');
  clis = [];
  holders = [];
  rmSync(dir, { recursive: true, force: true });
});

const CONFIG = ['checkpoint:', '  interval_ms: 200', 'tail:', '  poll_interval_ms: 100', ''].join('\n');

async function start(args: string[], wrap?: (argv: string[]) => string[]): Promise<RunningCli> {
  const cli = await startCli(['run', '--web.listen-address', '127.0.0.1:0', '--config', path.join(dir, 'config.yaml'), ...args], { wrap });
  clis.push(cli);
  return cli;
}

/** Lines recorded in a checkpoint file (all results), or undefined when it is not a whole checkpoint. */
function checkpointLines(file: string): number | undefined {
  try {
    const cp = JSON.parse(readFileSync(file, 'utf8')) as { parts: { lines: { results: number[] } } };
    return cp.parts.lines.results.reduce((a, b) => a + b, 0);
  } catch {
    return undefined;
  }
}

/**
 * A 1 MiB tmpfs in a mount namespace of its own, held open by a sleeping process: sidecars are
 * started inside it with nsenter (so one can be restarted onto the same small disk), and the test
 * reaches the disk through /proc/HOLDER/root.
 */
async function tinyDisk(mountPoint: string): Promise<{ pid: number; inside: (p: string) => string }> {
  const holder = spawn('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=1m tmpfs '${mountPoint}' && echo mounted && exec sleep 600`], { stdio: ['ignore', 'pipe', 'inherit'] });
  holders.push(holder);
  await new Promise<void>((resolve, reject) => {
    holder.stdout?.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`unshare/mount failed (${code})`)));
  });
  const pid = holder.pid as number;
  return { pid, inside: (p) => `/proc/${pid}/root${p}` };
}

describe('disk full while checkpointing', () => {
  it(
    'keeps counting and serving, reports the failure, never leaves a torn checkpoint, recovers, and a restart loses nothing',
    async (ctx) => {
      ctx.skip(!isRoot(), 'needs root: mounts a tmpfs in a mount namespace of its own (unshare -m)');
      writeFileSync(path.join(dir, 'config.yaml'), CONFIG);
      const log = path.join(dir, 'app.jsonl');
      writeFileSync(log, '');
      const state = path.join(dir, 'state');
      mkdirSync(state);
      const disk = await tinyDisk(state);
      const nsenter = (argv: string[]) => ['nsenter', '-t', String(disk.pid), '-m', '--', ...argv];
      const checkpointFile = disk.inside(path.join(state, 'checkpoint.json'));
      const filler = disk.inside(path.join(state, 'filler'));
      const args = ['--input', log, '--state-dir', state, '--web.enable-ingest'];
      let cli = await start(args, nsenter);
      const ingest = async (i: number) =>
        (await (await fetch(cli.url('/ingest'), { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: requestLine(i) })).json()) as { accepted: number; durable: boolean };

      appendLines(log, 0, 3000);
      await eventually(async () => ((await counts(cli)).lines === 3000 ? true : undefined), 20_000, '3000 lines counted');
      await eventually(async () => (checkpointLines(checkpointFile) === 3000 ? true : undefined), 10_000, 'a checkpoint of 3000 lines');
      const size = (await scrape(cli)).get('llmtail_checkpoint_size_bytes') as number;
      const lastGood = (await scrape(cli)).get('llmtail_checkpoint_last_success_timestamp_seconds') as number;

      // Fill the disk but for less than one checkpoint: the next write runs out of space halfway
      // (a short write, then ENOSPC), the case that must never end in a torn checkpoint.
      const fs = statfsSync(disk.inside(state));
      const free = fs.bavail * fs.bsize;
      const leave = Math.floor((size - 1) / fs.bsize) * fs.bsize;
      expect(leave).toBeGreaterThan(0);
      writeFileSync(filler, Buffer.alloc(free - leave));

      appendLines(log, 3000, 1000);
      const during = await eventually(
        async () => {
          const m = await scrape(cli);
          return m.sum('llmtail_lines_total') === 4000 && (m.get('llmtail_checkpoint_failures_total') ?? 0) > 0 ? m : undefined;
        },
        20_000,
        'the new lines counted and a failed checkpoint reported',
      );
      // Serving and counting go on; the scrape shows what was counted.
      expect(during.sum('llmtail_requests_total')).toBe(4000);
      expect(during.get('llmtail_checkpoint_last_success_timestamp_seconds')).toBe(lastGood);
      expect((await fetch(cli.url('/healthz'))).status).toBe(200);
      // An /ingest body is counted, and acknowledged as not durable (a resend would count it twice).
      expect(await ingest(90_000)).toEqual(expect.objectContaining({ accepted: 1, durable: false }));
      // On disk: still the last good checkpoint, whole, and no partial temp file.
      expect(checkpointLines(checkpointFile)).toBe(3000);
      expect(readdirSync(disk.inside(state)).sort()).toEqual(['checkpoint.json', 'filler']);
      // Reported in the log, rate limited: many failed writes (one per scrape and interval), few lines.
      await new Promise((r) => setTimeout(r, 1500));
      const failuresNow = (await scrape(cli)).get('llmtail_checkpoint_failures_total') as number;
      const failureLogs = logLines(cli, /checkpoint write failed/);
      expect(failureLogs.length).toBeGreaterThanOrEqual(1);
      expect(failureLogs.length).toBeLessThan(failuresNow);
      expect(JSON.stringify(failureLogs[0])).toContain('ENOSPC');

      // Space comes back: the next checkpoint succeeds and says so.
      rmSync(filler);
      await eventually(async () => (checkpointLines(checkpointFile) === 4001 ? true : undefined), 10_000, 'a checkpoint of 4001 lines');
      await eventually(async () => (logLines(cli, /checkpoint written again/).length === 1 ? true : undefined), 5000, 'the recovery log line');
      expect((await scrape(cli)).get('llmtail_checkpoint_last_success_timestamp_seconds')).toBeGreaterThan(lastGood);
      expect(await ingest(90_001)).toEqual(expect.objectContaining({ accepted: 1, durable: true }));

      // Full again, more lines counted but not durable, then a crash.
      const again = statfsSync(disk.inside(state));
      writeFileSync(filler, Buffer.alloc(again.bavail * again.bsize));
      appendLines(log, 4000, 500);
      await eventually(async () => ((await counts(cli)).lines === 4502 ? true : undefined), 20_000, '4502 lines counted');
      expect(checkpointLines(checkpointFile)).toBe(4002);
      await cli.stop('SIGKILL');
      rmSync(filler);

      // The restart continues from the last good checkpoint (4002 lines, with the file's offset)
      // and reads the 500 lines after it again: exactly 4502, nothing lost, nothing twice.
      cli = await start(args, nsenter);
      const after = await eventually(async () => {
        const c = await counts(cli);
        return c.lines >= 4502 ? c : undefined;
      }, 20_000, 'the restarted sidecar to catch up');
      await new Promise((r) => setTimeout(r, 500));
      expect(await counts(cli)).toEqual({ lines: 4502, ok: 4502, requests: 4502 });
      expect(after.lines).toBe(4502);
    },
    90_000,
  );
});

describe('state directory deleted while running', () => {
  it('creates it again at the next checkpoint, reports it, and a restart continues from there', async () => {
    writeFileSync(path.join(dir, 'config.yaml'), CONFIG);
    const log = path.join(dir, 'app.jsonl');
    writeFileSync(log, '');
    const state = path.join(dir, 'state');
    let cli = await start(['--input', log, '--state-dir', state]);
    const checkpointFile = path.join(state, 'checkpoint.json');

    appendLines(log, 0, 2000);
    await eventually(async () => (checkpointLines(checkpointFile) === 2000 ? true : undefined), 20_000, 'a checkpoint of 2000 lines');

    rmSync(state, { recursive: true });
    appendLines(log, 2000, 700);
    const m = await eventually(
      async () => {
        const s = await scrape(cli);
        return s.sum('llmtail_lines_total') === 2700 && existsSync(checkpointFile) ? s : undefined;
      },
      20_000,
      'the lines counted and the checkpoint back',
    );
    expect(m.sum('llmtail_requests_total')).toBe(2700);
    expect(m.get('llmtail_checkpoint_dir_recreations_total')).toBe(1);
    await eventually(async () => (checkpointLines(checkpointFile) === 2700 ? true : undefined), 10_000, 'a checkpoint of 2700 lines');
    expect(logLines(cli, /state directory was gone; created it again/)).toHaveLength(1);

    // A crash now: the recreated checkpoint is the one a restart continues from.
    await cli.stop('SIGKILL');
    cli = await start(['--input', log, '--state-dir', state]);
    appendLines(log, 2700, 300);
    await eventually(async () => ((await counts(cli)).lines >= 3000 ? true : undefined), 20_000, '3000 lines counted');
    await new Promise((r) => setTimeout(r, 500));
    expect(await counts(cli)).toEqual({ lines: 3000, ok: 3000, requests: 3000 });
  }, 60_000);
});
