import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startCli, type RunningCli } from '../helpers/cli.js';
import { appendLines, descendants, scrape } from '../helpers/faults.js';
import { isGone, makeFakeSmi, type FakeSmi } from '../collectors/gpu/fake-smi.js';

/**
 * nvidia-smi hangs (a wedged driver): the fake on PATH prints nothing, never exits and ignores
 * SIGTERM. The collector's unit tests (test/collectors/gpu/failures.test.ts) cover each failure
 * in-process; this is the whole sidecar: scrapes keep answering while a hung child is alive, the
 * GPU is reported down, children do not pile up, and request counting is untouched.
 */

let dir: string;
let fake: FakeSmi;
let cli: RunningCli | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-fault-gpu-'));
  fake = makeFakeSmi();
});

afterEach(async () => {
  if (cli !== undefined && cli.proc.exitCode === null && cli.proc.signalCode === null) await cli.stop('SIGKILL');
  cli = undefined;
  // Whatever the sidecar left behind (it must leave nothing: asserted in the test).
  for (const pid of fake.pids('self')) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
  fake.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['stream', 'poll'] as const)('nvidia-smi hanging (%s mode)', (mode) => {
  it('scrapes answer while it hangs, the GPU is reported down, children stay bounded, request metrics are exact', async () => {
    const log = path.join(dir, 'app.jsonl');
    writeFileSync(log, '');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, ['gpu:', '  enabled: "on"', `  mode: ${mode}`, '  interval_ms: 300', '  timeout_ms: 800', 'tail:', '  poll_interval_ms: 100', ''].join('\n'));
    cli = await startCli(['run', '--web.listen-address', '127.0.0.1:0', '--config', config, '--input', log], {
      env: fake.env({ FAKE_SMI_HANG: '1', FAKE_SMI_IGNORE_TERM: '1' }),
    });
    const running = cli;
    const pid = running.proc.pid as number;
    appendLines(log, 0, 2000);

    // Several hang → SIGTERM (ignored) → SIGKILL cycles, scraping throughout.
    let maxChildren = 0;
    let scrapesWhileHung = 0;
    let slowest = 0;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const hungBefore = descendants(pid).length;
      const t0 = Date.now();
      const m = await scrape(running);
      slowest = Math.max(slowest, Date.now() - t0);
      const hungAfter = descendants(pid).length;
      maxChildren = Math.max(maxChildren, hungBefore, hungAfter);
      // Answered while a hung nvidia-smi was alive before and after it: the scrape never waits on one.
      if (hungBefore > 0 && hungAfter > 0) scrapesWhileHung++;
      expect(m.get('llmtail_gpu_collector_up')).toBe(0);
      expect(m.all('llmtail_gpu_memory_used_bytes')).toEqual([]);
      if ((m.get('llmtail_gpu_collector_failures_total', { reason: 'timeout' }) ?? 0) >= 2 && scrapesWhileHung >= 3) break;
      if (Date.now() > deadline) throw new Error(`no repeated timeouts within 60 s (${scrapesWhileHung} scrapes while hung)`);
      await new Promise((r) => setTimeout(r, 150));
    }

    const m = await scrape(running);
    expect(m.get('llmtail_gpu_last_success_timestamp_seconds')).toBeUndefined();
    expect(m.get('llmtail_gpu_nvidia_smi_starts_total')).toBeGreaterThanOrEqual(2);
    // One hung child at a time (a new one starts only after the old one is gone); never a pile.
    expect(maxChildren).toBeLessThanOrEqual(1);
    const started = fake.pids('self');
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(started.slice(0, -1).filter((p) => !isGone(p))).toEqual([]);
    // Request metrics are what was written.
    await eventually(async () => ((await scrape(running)).sum('llmtail_lines_total') === 2000 ? true : undefined), 20_000, '2000 lines');
    expect((await scrape(running)).sum('llmtail_requests_total')).toBe(2000);
    // Reported in the log, rate limited (one line a minute per reason).
    const warnings = running.stderr().split('\n').filter((l) => l.includes('nvidia-smi collection failed'));
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toContain('"reason":"timeout"');

    // Shutdown kills the hung child and leaves nothing behind.
    const stopped = await running.stop();
    expect(stopped.code).toBe(0);
    await eventually(async () => (fake.pids('self').every(isGone) ? true : undefined), 10_000, 'every nvidia-smi gone');
    console.info(`gpu hang (${mode}): ${started.length} nvidia-smi started, at most ${maxChildren} alive, ${scrapesWhileHung} scrapes while one hung, slowest scrape ${slowest} ms`);
  }, 90_000);
});
