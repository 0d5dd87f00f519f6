import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Decoder } from '../../src/events/decoder.js';
import { LineStats } from '../../src/pipeline/line-stats.js';
import { startSimulator } from '../../src/simulator/writer.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-sim-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('startSimulator', () => {
  it('writes only whole lines, even when stopped mid-run', async () => {
    const file = path.join(dir, 'requests.jsonl');
    const sim = await startSimulator({ path: file, ratePerSecond: 5000, shape: 'mixed', seed: 1, malformedFraction: 0, tickMs: 10 });
    await sleep(250);
    await sim.stop();
    await sim.stop(); // idempotent
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    const stats = sim.stats();
    expect(lines.length).toBe(stats.linesWritten);
    expect(stats.linesWritten).toBeGreaterThan(300);
    expect(stats.requestsWritten).toBe(stats.linesWritten);
    expect(stats.bytesWritten).toBe(Buffer.byteLength(text));
    const decoder = new Decoder({ preset: 'auto', defaultModel: 'unknown', limits: { maxDurationSeconds: 86400, maxTokens: 1e7, maxBytes: 2 ** 44 } }, new LineStats());
    for (const line of lines) {
      expect(() => JSON.parse(line) as unknown, line).not.toThrow();
      expect(decoder.decode(line), line).toBeDefined();
    }
    // Nothing more after stop.
    await sleep(50);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('appends to an existing file, mixes in malformed lines, and stops on abort', async () => {
    const file = path.join(dir, 'requests.jsonl');
    writeFileSync(file, '{"existing":true}\n');
    const controller = new AbortController();
    const sim = await startSimulator({ path: file, ratePerSecond: 4000, shape: 'nested', seed: 2, malformedFraction: 0.05, tickMs: 10, signal: controller.signal });
    await sleep(200);
    controller.abort();
    await sim.stop();
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('{"existing":true}\n')).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    const stats = sim.stats();
    expect(text.slice(0, -1).split('\n').length).toBe(stats.linesWritten + 1);
    expect(stats.malformedWritten).toBeGreaterThan(0);
    expect(stats.malformedWritten + stats.requestsWritten).toBe(stats.linesWritten);
    expect(stats.writeErrors).toBe(0);
  });

  it('can be forced into an error burst', async () => {
    const file = path.join(dir, 'requests.jsonl');
    const sim = await startSimulator({ path: file, ratePerSecond: 3000, shape: 'flat', seed: 3, malformedFraction: 0, burstEverySeconds: 0, tickMs: 10 });
    sim.forceBurst(10_000);
    expect(sim.stats().bursting).toBe(true);
    await sleep(200);
    await sim.stop();
    const stats = sim.stats();
    expect(stats.failuresWritten / stats.requestsWritten).toBeGreaterThan(0.25);
  });

  it('stops at once when the signal is already aborted', async () => {
    const file = path.join(dir, 'requests.jsonl');
    const sim = await startSimulator({ path: file, ratePerSecond: 1000, shape: 'flat', signal: AbortSignal.abort() });
    await sleep(50);
    expect(sim.stats().linesWritten).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('');
  });
});
