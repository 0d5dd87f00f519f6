import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, eventually } from '../helpers/cli.js';
import { IMAGE_UID } from './helpers.js';

/**
 * "Runs as non-root with a read-only root file system, the state directory the only writable
 * path" (issue 8), checked for real: the built CLI runs in its own mount namespace where every
 * mount is read-only except /proc, /sys, /dev (as a container runtime leaves them) and the state
 * directory, as uid/gid 1000 (the image's node user) without supplementary groups or new
 * privileges. If llmtail needed any other writable path (a temp file, a cache), it would fail here.
 * Needs root and mount namespaces (CI runs as root); skipped with the reason otherwise.
 */

const isRoot = process.getuid?.() === 0;
const canUnshare = isRoot && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0 && spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;
const skipReason = !isRoot ? 'needs root to create a mount namespace' : 'unshare -m or setpriv is unavailable';

/** Makes the namespace read-only but for STATE, then runs the command as uid/gid 1000. */
const READ_ONLY_ROOT = `
set -e
state="$1"; shift
mount --bind "$state" "$state"
findmnt -rn -o TARGET | sort -u | while read -r m; do
  case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|"$state") continue;; esac
  mount -o remount,bind,ro "$m"
done
# Prove the sandbox before trusting it: outside the state directory nothing is writable.
for probe in /tmp "$(dirname "$state")" "$HOME" /; do
  if [ -n "$probe" ] && touch "$probe/.llmtail-rw-probe" 2>/dev/null; then echo "NOT READ-ONLY: $probe" >&2; exit 97; fi
done
exec setpriv --reuid=${IMAGE_UID} --regid=${IMAGE_UID} --clear-groups --no-new-privs -- "$@"
`;

interface Sandboxed {
  proc: ChildProcess;
  port: Promise<number>;
  stderr: () => string;
  exit: Promise<number | null>;
}

function sandboxed(stateDir: string, args: string[]): Sandboxed {
  const proc = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', READ_ONLY_ROOT, 'sh', stateDir, process.execPath, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' },
  });
  let err = '';
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const port = new Promise<number>((resolve, reject) => {
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /"msg":"llmtail started"/.test(err) ? /"port":(\d+)/.exec(err) : null;
      if (m) resolve(Number(m[1]));
    });
    void exit.then((code) => reject(new Error(`llmtail exited with ${code} before starting:\n${err}\n${out}`)));
  });
  port.catch(() => undefined);
  return { proc, port, exit, stderr: () => `${err}${out}` };
}

async function linesCounted(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^llmtail_lines_total\{[^}]*result="ok"[^}]*\} (\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
}

const line = (i: number) => `${JSON.stringify({ request_id: `req_${i}`, model: 'Qwen/Qwen2.5-7B-Instruct', input_tokens: 10, output_tokens: 20, total_time_ms: 100 + i, status: 'success' })}\n`;

describe.skipIf(!canUnshare)(`non-root, read-only root file system (${canUnshare ? 'mount namespace, uid 1000' : skipReason})`, () => {
  let dir: string;
  let state: string;
  let log: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmtail-ro-'));
    chmodSync(dir, 0o755);
    state = path.join(dir, 'state');
    mkdirSync(state);
    chownSync(state, IMAGE_UID, IMAGE_UID);
    log = path.join(dir, 'logs', 'requests.jsonl');
    mkdirSync(path.dirname(log));
    chmodSync(path.dirname(log), 0o755);
    writeFileSync(log, '', { mode: 0o644 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const args = () => ['run', '--input', path.join(path.dirname(log), '*.jsonl'), '--state-dir', state, '--web.listen-address', '127.0.0.1:0'];

  it('starts, counts, checkpoints, serves /metrics and the healthcheck, and stops cleanly on SIGTERM; restarts from its checkpoint', async () => {
    const first = sandboxed(state, args());
    const port = await first.port;
    for (let i = 0; i < 100; i++) appendFileSync(log, line(i));
    await eventually(async () => ((await linesCounted(port)) === 100 ? true : undefined), 10_000, '100 lines counted');
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);

    // The Docker HEALTHCHECK command, in the same kind of sandbox.
    const health = sandboxed(state, ['healthcheck', '--web.listen-address', `127.0.0.1:${port}`]);
    expect(await health.exit, health.stderr()).toBe(0);
    expect(health.stderr()).toMatch(/^healthy: /m);

    first.proc.kill('SIGTERM');
    expect(await first.exit, first.stderr()).toBe(0);
    expect(first.stderr()).not.toMatch(/EROFS|EACCES|read-only file system/i);
    const files = readdirSync(state);
    expect(files).toContain('checkpoint.json');
    // Written by the unprivileged user, nothing else left behind (no stray temp files).
    expect(statSync(path.join(state, 'checkpoint.json')).uid).toBe(IMAGE_UID);
    expect(files.filter((f) => f !== 'checkpoint.json')).toEqual([]);

    // The checkpoint it wrote is usable: a restart continues from 100 and reads only new lines.
    const second = sandboxed(state, args());
    const port2 = await second.port;
    appendFileSync(log, line(100));
    await eventually(async () => ((await linesCounted(port2)) === 101 ? true : undefined), 10_000, '101 lines after restart');
    second.proc.kill('SIGTERM');
    expect(await second.exit, second.stderr()).toBe(0);
  });

  it('the sandbox is real: a state directory the uid owns, but outside the writable mount, is a startup error (exit 2)', async () => {
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    chownSync(elsewhere, IMAGE_UID, IMAGE_UID);
    const run = sandboxed(state, ['run', '--input', log, '--state-dir', elsewhere, '--web.listen-address', '127.0.0.1:0']);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toMatch(/EROFS|read-only/i);
  });
});
