import { describe, expect, it } from 'vitest';
import { runOnce, type RunOptions } from '../../../src/collectors/gpu/process-runner.js';
import { isGone, until } from './fake-smi.js';

/** The hard-deadline runner on its own, with tiny node scripts as children. */

const options: RunOptions = { timeoutMs: 150, killGraceMs: 100, drainMs: 100, env: process.env };
const node = (script: string, opts: Partial<RunOptions> = {}) => runOnce(process.execPath, ['-e', script], { ...options, ...opts });

describe('runOnce', () => {
  it('returns output and exit code', async () => {
    const r = await node("process.stdout.write('a, b\\n'); process.stderr.write('oops'); process.exitCode = 3", { timeoutMs: 5000 });
    expect(r).toMatchObject({ kind: 'exited', code: 3, stdout: 'a, b\n', stderr: 'oops' });
  });

  it('reports death by signal as 128 + signal number', async () => {
    const r = await node("process.kill(process.pid, 'SIGKILL')", { timeoutMs: 5000 });
    expect(r).toMatchObject({ kind: 'exited', code: 137 });
  });

  it('kills a child that ignores SIGTERM, within timeout + grace', async () => {
    const t0 = Date.now();
    const r = await node("process.on('SIGTERM', () => {}); console.log('started'); setInterval(() => {}, 1000)");
    expect(r.kind).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(1000);
    if (r.kind !== 'timeout') return;
    const pid = r.process.child.pid as number;
    await until(() => isGone(pid), 1000, 'child killed');
  });

  it('does not wait for a grandchild that keeps the pipe open, and kills it', async () => {
    const t0 = Date.now();
    const r = await node(
      "const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: ['ignore', 'inherit', 'inherit'] }); console.log('gc ' + c.pid); c.unref();",
      { timeoutMs: 5000 },
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.kind).toBe('exited');
    if (r.kind !== 'exited') return;
    const grandchild = Number(/gc (\d+)/.exec(r.stdout)?.[1]);
    expect(grandchild).toBeGreaterThan(0);
    await until(() => isGone(grandchild), 1000, 'grandchild killed');
  });

  it('reports a binary that cannot start', async () => {
    const r = await runOnce('/nonexistent/nvidia-smi', [], options);
    expect(r).toMatchObject({ kind: 'spawn_error' });
    if (r.kind === 'spawn_error') expect(r.message).toMatch(/ENOENT/);
  });

  it('kills a child that floods stdout', async () => {
    const r = await node("setInterval(() => process.stdout.write('x'.repeat(65536)), 1)", { maxOutputBytes: 100_000, timeoutMs: 5000 });
    expect(r.kind).toBe('too_much_output');
  });
});
