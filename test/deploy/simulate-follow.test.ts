import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';

/**
 * `llmtail simulate --follow`: the inference-server stand-in of deploy/compose and
 * deploy/kubernetes. It writes whole lines in real time, rotates like logrotate, stops on SIGTERM
 * or --duration, and its final stats account for every line in the files.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-follow-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Stats {
  msg: string;
  linesWritten: number;
  rotations: number;
  writeErrors: number;
}
const statsOf = (stderr: string): Stats => JSON.parse(stderr.trim().split('\n').at(-1) as string) as Stats;
const lines = (file: string): string[] => {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
};

describe('llmtail simulate --follow', () => {
  it('writes at --rate in real time, rotates to FILE.1, stops after --duration, and accounts for every line', async () => {
    const out = path.join(dir, 'requests.jsonl');
    const t0 = Date.now();
    const r = await runCli(['simulate', '--follow', '--out', out, '--rate', '2000', '--rotate-every', '0.6', '--duration', '1', '--shape', 'mixed']);
    const elapsed = Date.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    const stats = statsOf(r.stderr);
    expect(stats).toMatchObject({ msg: 'llmtail simulate stopped', rotations: 1, writeErrors: 0 });
    const all = [...lines(`${out}.1`), ...lines(out)];
    expect(all.length).toBe(stats.linesWritten);
    // About 2,000 lines/s for a second (Poisson, plus process start-up slack).
    expect(stats.linesWritten).toBeGreaterThan(1000);
    expect(stats.linesWritten).toBeLessThan(3500);
    for (const l of all) expect(() => JSON.parse(l) as unknown, l).not.toThrow();
  });

  it('stops cleanly on SIGTERM with its stats', async () => {
    const out = path.join(dir, 'sigterm.jsonl');
    const proc = spawn(process.execPath, [CLI, 'simulate', '--follow', '--out', out, '--rate', '500'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Once it says it is writing (its signal handlers are in place), let it write a little.
    await new Promise<void>((resolve) => proc.stderr.on('data', () => /writing 500 lines/.test(stderr) && resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exit = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exit).toBe(0);
    const stats = statsOf(stderr);
    expect(stats.linesWritten).toBeGreaterThan(0);
    expect(lines(out).length).toBe(stats.linesWritten);
  });

  it('rejects follow-only flags without --follow, and --follow without a file (exit 2)', async () => {
    expect((await runCli(['simulate', '--follow'])).code).toBe(2);
    expect((await runCli(['simulate', '--follow', '--out', '-'])).code).toBe(2);
    expect((await runCli(['simulate', '--rotate-every', '5'])).code).toBe(2);
    expect((await runCli(['simulate', '--follow', '--out', path.join(dir, 'x.jsonl'), '--rotate-every', '0'])).code).toBe(2);
  });
});
