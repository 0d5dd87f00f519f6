import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startCli, type RunningCli } from '../helpers/cli.js';
import { appendLines, counts, isRoot, logLines, scrape } from '../helpers/faults.js';

/**
 * The log directory cannot be read by the sidecar's user. Root reads anything, so the CLI runs
 * as nobody (65534); the test, as root, still writes the log into the closed directory, the way
 * a server running as another user would.
 */

const NOBODY = 65534;
let dir: string;
let cli: RunningCli | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-fault-perm-'));
  chmodSync(dir, 0o755);
});

afterEach(async () => {
  if (cli !== undefined && cli.proc.exitCode === null && cli.proc.signalCode === null) await cli.stop('SIGKILL');
  cli = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['a glob', (logDir: string) => path.join(logDir, '*.jsonl')],
  ['a file path', (logDir: string) => path.join(logDir, 'app.jsonl')],
])('log directory permission denied, input given as %s', (_what, input) => {
  it('reports the input unreadable, keeps serving, and counts every line once after permission is granted', async (ctx) => {
    ctx.skip(!isRoot(), 'needs root: runs the CLI as uid 65534 (root reads any directory)');
    const logDir = path.join(dir, 'logs');
    mkdirSync(logDir, { mode: 0o000 });
    chmodSync(logDir, 0o000);
    const state = path.join(dir, 'state');
    mkdirSync(state);
    chownSync(state, NOBODY, NOBODY);
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, 'tail:\n  poll_interval_ms: 100\n');
    cli = await startCli(['run', '--web.listen-address', '127.0.0.1:0', '--config', config, '--input', input(logDir), '--state-dir', state], { uid: NOBODY, gid: NOBODY });
    const running = cli;

    // Lines arrive while the sidecar cannot see them.
    const log = path.join(logDir, 'app.jsonl');
    appendLines(log, 0, 1000);
    await new Promise((r) => setTimeout(r, 500));
    const denied = await scrape(running);
    expect(denied.get('llmtail_files_unreadable')).toBe(1);
    expect(denied.get('llmtail_input_up', { input: 'file' })).toBe(0);
    expect(denied.sum('llmtail_lines_total')).toBe(0);
    const ready = await fetch(running.url('/readyz'));
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not_ready', inputs: [{ kind: 'file', ready: false }] });
    expect((await fetch(running.url('/healthz'))).status).toBe(200);
    const warned = logLines(running, /cannot read input \(permission denied\)/);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ path: logDir, code: 'EACCES' });

    // Permission granted: the file is picked up from its first byte.
    chmodSync(logDir, 0o755);
    await eventually(async () => ((await counts(running)).lines >= 1000 ? true : undefined), 20_000, 'the lines written while denied');
    appendLines(log, 1000, 500);
    await eventually(async () => ((await counts(running)).lines >= 1500 ? true : undefined), 20_000, 'the lines written after');
    await new Promise((r) => setTimeout(r, 500));
    const after = await scrape(running);
    expect({ lines: after.sum('llmtail_lines_total'), requests: after.sum('llmtail_requests_total') }).toEqual({ lines: 1500, requests: 1500 });
    expect(after.get('llmtail_files_unreadable')).toBe(0);
    expect(after.get('llmtail_input_up', { input: 'file' })).toBe(1);
    expect((await fetch(running.url('/readyz'))).status).toBe(200);
    expect(logLines(running, /input readable again/)).toHaveLength(1);
    // Still only the one warning: a path that stays unreadable is not logged on every look.
    expect(logLines(running, /cannot read input/)).toHaveLength(1);
  }, 60_000);
});
