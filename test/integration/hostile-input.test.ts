import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_NAMES } from '../../src/consumers/metrics/definitions.js';
import { PRESET_NAMES } from '../../src/events/presets.js';
import { expectEveryLineAccounted, expectLabelsWithinCap, expectPromtoolClean } from '../helpers/accounting.js';
import { eventually, runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { parseExposition, type Exposition } from '../helpers/exposition.js';
import { corpusText, hostileCorpus } from '../helpers/hostile-corpus.js';

/** Issue 16 through the built CLI: long label values, the summary table, a hostile corpus. */

const LONG = `qwen-${'x'.repeat(10_000)}`;
const line = (id: string, status: string) => `${JSON.stringify({ request_id: id, model: LONG, input_tokens: 10, output_tokens: 5, total_time_ms: 100, status })}\n`;

let dir: string;
let running: RunningCli[] = [];
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-hostile-'));
});
afterEach(async () => {
  for (const cli of running) await cli.stop();
  running = [];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function scrape(cli: RunningCli): Promise<{ text: string; m: Exposition }> {
  const text = await (await fetch(cli.url('/metrics'))).text();
  return { text, m: parseExposition(text) };
}

async function run(log: string, env: NodeJS.ProcessEnv = {}): Promise<RunningCli> {
  const cli = await startCli(['run', '--input', log, '--from-beginning', '--state-dir', path.join(dir, 'state'), '--web.listen-address', '127.0.0.1:0'], { env });
  running.push(cli);
  return cli;
}

describe('a 10,000-character model name', () => {
  it('reaches /metrics cut, under every status, and cut again after a restart with a smaller max_value_length', async () => {
    const log = path.join(dir, 'long.jsonl');
    writeFileSync(log, line('a', 'success') + line('b', 'error'));
    const first = await run(log);
    const before = await eventually(async () => {
      const r = await scrape(first);
      return r.m.get('llmtail_lines_total', { result: 'ok' }) === 2 ? r : undefined;
    });
    const cut = LONG.slice(0, 128);
    expect(before.m.all('llmtail_requests_total').map((s) => [s.labels.model, s.labels.status, s.value])).toEqual([
      [cut, 'success', 1],
      [cut, 'error', 1],
    ]);
    expect(before.m.get('llmtail_request_errors_total', { model: cut, status: 'error' })).toBe(1);
    expectLabelsWithinCap(before.m, 128);
    expectPromtoolClean(before.text);
    expect((await first.stop()).code).toBe(0);
    running = [];

    appendFileSync(log, line('c', 'timeout') + line('d', 'success'));
    const second = await run(log, { LLMTAIL_LABELS_MAX_VALUE_LENGTH: '32' });
    const after = await eventually(async () => {
      const r = await scrape(second);
      return r.m.get('llmtail_lines_total', { result: 'ok' }) === 4 ? r : undefined;
    });
    expect(second.stderr()).toContain('continuing from checkpoint');
    const shorter = LONG.slice(0, 32);
    expect(after.m.all('llmtail_requests_total').map((s) => [s.labels.model, s.labels.status, s.value])).toEqual([
      [shorter, 'success', 2],
      [shorter, 'error', 1],
      [shorter, 'timeout', 1],
    ]);
    expectLabelsWithinCap(after.m, 32);
    expectPromtoolClean(after.text);
  }, 60_000);

  it('replay --format summary keeps the table narrow: the column is capped with an ellipsis', async () => {
    const r = await runCli(['replay', '-', '--format', 'summary'], { input: line('a', 'success') + line('b', 'error') + line('c', 'success').replace(LONG, 'qwen') });
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n');
    expect(rows[0]).toMatch(/^model +status +requests/);
    for (const row of rows) expect([...row].length, row.slice(0, 80)).toBeLessThan(200);
    expect(rows.filter((row) => row.startsWith(`qwen-${'x'.repeat(42)}…  success `))).toHaveLength(1);
    expect(r.stdout).toContain('lines: ok=3 invalid=0 unmapped=0 empty=0');
  });
});

describe('a hostile corpus through llmtail replay', () => {
  it('counts every line once, keeps every label value within the cap, and passes promtool', async () => {
    const cap = 20;
    const maxLineBytes = 16_384;
    const corpus = hostileCorpus({ seed: 1616, lines: 1500, cap, maxLineBytes, presets: PRESET_NAMES });
    const file = path.join(dir, 'hostile.jsonl');
    writeFileSync(file, corpusText(corpus));
    const env = { LLMTAIL_LABELS_MAX_VALUE_LENGTH: String(cap), LLMTAIL_LINES_MAX_BYTES: String(maxLineBytes), LLMTAIL_LABELS_ALLOW: LABEL_NAMES.join(',') };
    const r = await runCli(['replay', file, '--max-label-values', '16'], { env });
    expect(r.code).toBe(0);
    const m = parseExposition(r.stdout);
    expectEveryLineAccounted(m, corpus);
    expect(expectLabelsWithinCap(m, cap)).toBeGreaterThan(100);
    expectPromtoolClean(r.stdout);

    const summary = await runCli(['replay', file, '--max-label-values', '16', '--format', 'summary'], { env });
    expect(summary.code).toBe(0);
    expect(summary.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(summary.stdout).toContain(`lines: ok=${m.get('llmtail_lines_total', { result: 'ok' })} `);
  }, 60_000);
});
