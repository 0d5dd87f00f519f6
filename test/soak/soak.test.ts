import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSoak, type SoakResult } from '../../bench/soak.js';

/**
 * The soak (bench/soak.ts, `npm run soak`) in miniature: the same code, the real CLI and writer
 * processes, 1,000 lines/s with a rotation every 5 s and a scrape every second. The counters must
 * equal the lines written exactly; memory gets a generous bound (a shared 2-core machine: no
 * timing assertions).
 */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-soak-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const MiB = 2 ** 20;

function expectHealthy(r: SoakResult): void {
  // The counters first, with the mismatches as the message when they differ.
  expect(r.check.mismatches).toEqual([]);
  expect(r.ok).toBe(true);
  expect(r.sidecarExit).toMatchObject({ code: 0, diedEarly: false });
  expect(r.check.written.linesWritten).toBeGreaterThan(5000);
  expect(r.check.written.malformedWritten).toBeGreaterThan(0);
  expect(r.check.afterRestart).toEqual({ linesTotal: r.check.written.linesWritten, requestsTotal: r.check.written.requestsWritten });
  expect(r.samples.length).toBeGreaterThan(8);
  // Runaway memory, not a tight budget: the sidecar idles around 60-90 MiB.
  expect(Math.max(...r.samples.map((s) => s.rssBytes))).toBeLessThan(400 * MiB);
  for (const file of ['samples.csv', 'report.html', 'summary.json']) expect(existsSync(path.join(dir, file))).toBe(true);
  expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('<svg');
  expect(readFileSync(path.join(dir, 'samples.csv'), 'utf8').trim().split('\n')).toHaveLength(r.samples.length + 1);
}

describe('soak (short)', () => {
  it('rename rotation every 5 s at 1,000 lines/s for 25 s: every line counted once, memory bounded', async () => {
    const r = await runSoak({ seconds: 25, ratePerSecond: 1000, rotateEveryMs: 5000, rotation: 'rename', scrapeIntervalMs: 1000, resultsDir: dir });
    expectHealthy(r);
    expect(r.check.written.rotations).toBeGreaterThanOrEqual(4);
    expect(r.summary.rotations).toBe(r.check.written.rotations);
  }, 120_000);

  it('copytruncate every 5 s at 1,000 lines/s for 15 s: every line counted once', async () => {
    const r = await runSoak({ seconds: 15, ratePerSecond: 1000, rotateEveryMs: 5000, rotation: 'copytruncate', scrapeIntervalMs: 1000, resultsDir: dir });
    expectHealthy(r);
    expect(r.check.written.rotations).toBeGreaterThanOrEqual(2);
    expect(r.summary.rotations).toBe(r.check.written.rotations);
  }, 120_000);
});
