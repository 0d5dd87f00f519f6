import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { Sidecar } from '../../src/sidecar.js';
import { CheckpointStore, StateDirError } from '../../src/state/checkpoint-store.js';
import { Checkpointer } from '../../src/state/checkpointer.js';
import { parseExposition } from '../helpers/exposition.js';

const line = (id: number, status = 'success') => `{"request_id":"r${id}","model":"m","input_tokens":10,"output_tokens":5,"total_time_ms":${100 + id},"status":"${status}"}\n`;
const silent = createLogger('silent', 'json');

let dir: string;
let running: Sidecar[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-state-'));
});
afterEach(async () => {
  for (const s of running) await s.stop();
  running = [];
  rmSync(dir, { recursive: true, force: true });
});

describe('CheckpointStore', () => {
  it('writes atomically and reads back what it wrote', () => {
    const store = new CheckpointStore(path.join(dir, 'state'));
    store.init();
    store.write({ a: 1 });
    store.write({ a: 2 });
    expect(store.load(() => undefined)?.parts).toEqual({ a: 2 });
    expect(readdirSync(path.join(dir, 'state'))).toEqual(['checkpoint.json']);
  });

  it('sets aside a corrupt or other-version checkpoint and reports why', () => {
    const store = new CheckpointStore(dir);
    writeFileSync(store.file, '{"format":"llmtail-checkpoint","vers');
    const reasons: string[] = [];
    expect(store.load((reason) => reasons.push(reason))).toBeUndefined();
    expect(reasons[0]).toMatch(/^not valid JSON/);
    writeFileSync(store.file, JSON.stringify({ format: 'llmtail-checkpoint', version: 99, written_at: 1, parts: {} }));
    expect(store.load((reason) => reasons.push(reason))).toBeUndefined();
    expect(reasons[1]).toMatch(/^not a version 1 checkpoint/);
    expect(existsSync(store.file)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('checkpoint.json.bad-'))).toHaveLength(2);
  });

  it('a state directory that cannot be written is a clear error', () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, '');
    const store = new CheckpointStore(path.join(file, 'state'));
    expect(() => store.init()).toThrow(StateDirError);
    expect(() => store.init()).toThrow(/state directory .*a-file\/state is not writable \(ENOTDIR\): give a writable --state-dir, or run without one/);
  });
});

describe('Checkpointer', () => {
  it('writes nothing before start, then only when the state changed, and survives failures', () => {
    const store = new CheckpointStore(path.join(dir, 's'));
    store.init();
    let generation = 0;
    const cp = new Checkpointer(store, () => ({ g: generation }), () => generation, 60_000, silent);
    expect(cp.checkpoint(true)).toBe(false);
    expect(existsSync(store.file)).toBe(false);
    cp.start();
    expect(cp.checkpoint()).toBe(true);
    expect(cp.checkpoint()).toBe(true);
    expect(cp.writes).toBe(1);
    generation = 1;
    cp.checkpoint();
    expect(cp.writes).toBe(2);
    // A deleted state directory is created again (and counted), not a failure for good.
    rmSync(path.join(dir, 's'), { recursive: true });
    generation = 2;
    expect(cp.checkpoint()).toBe(true);
    expect(store.dirRecreations).toBe(1);
    // A file where the directory should be cannot be fixed: a counted failure.
    rmSync(path.join(dir, 's'), { recursive: true });
    writeFileSync(path.join(dir, 's'), '');
    generation = 3;
    expect(cp.checkpoint()).toBe(false);
    expect(cp.failures).toBe(1);
    cp.stop();
  });
});

describe('Sidecar across restarts', () => {
  const config = (extra: Partial<ConfigInput> = {}) =>
    configSchema.parse({
      inputs: [path.join(dir, 'app.jsonl')],
      state_dir: path.join(dir, 'state'),
      web: { listen_address: '127.0.0.1:0' },
      tail: { poll_interval_ms: 50 },
      ...extra,
    });
  const start = async (extra: Partial<ConfigInput> = {}) => {
    const s = new Sidecar(config(extra), silent, { processMetrics: false });
    running.push(s);
    const port = await s.start();
    return { s, port };
  };
  const scrape = async (port: number) => parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  const stop = async (s: Sidecar) => {
    await s.stop();
    running = running.filter((r) => r !== s);
  };

  it('continues counters and histograms from the checkpoint and reads each line once', async () => {
    const log = path.join(dir, 'app.jsonl');
    writeFileSync(log, '');
    const first = await start();
    appendFileSync(log, `${line(1)}${line(2)}${line(3, 'error')}`);
    await first.s.tailer?.settle();
    const before = await scrape(first.port);
    expect(before.sum('llmtail_requests_total')).toBe(3);
    await stop(first.s);

    appendFileSync(log, line(4)); // written while stopped
    const second = await start();
    await second.s.tailer?.settle();
    const after = await scrape(second.port);
    expect(after.get('llmtail_requests_total', { model: 'm', status: 'success' })).toBe(3);
    expect(after.get('llmtail_requests_total', { model: 'm', status: 'error' })).toBe(1);
    expect(after.get('llmtail_request_duration_seconds_sum', { model: 'm', status: 'success' })).toBeCloseTo(0.101 + 0.102 + 0.104, 12);
    expect(after.get('llmtail_request_duration_seconds_count', { model: 'm', status: 'success' })).toBe(3);
    expect(after.get('llmtail_lines_total', { result: 'ok' })).toBe(4);
    expect(after.get('llmtail_read_bytes_total')).toBe(Buffer.byteLength(line(1) + line(2) + line(3, 'error') + line(4)));
  });

  it('a scrape never shows state newer than the checkpoint on disk', async () => {
    const log = path.join(dir, 'app.jsonl');
    writeFileSync(log, '');
    const { s, port } = await start({ checkpoint: { interval_ms: 60_000 } });
    appendFileSync(log, `${line(1)}${line(2)}`);
    await s.tailer?.settle();
    const scraped = await scrape(port);
    const onDisk = JSON.parse(readFileSync(path.join(dir, 'state', 'checkpoint.json'), 'utf8')) as { parts: { metrics: { series: { requests: number }[] } } };
    expect(onDisk.parts.metrics.series.reduce((a, x) => a + x.requests, 0)).toBe(scraped.sum('llmtail_requests_total'));
    expect(scraped.get('llmtail_checkpoint_writes_total')).toBeGreaterThanOrEqual(2);
  });

  it('sets aside a checkpoint that does not fit a changed configuration, and starts fresh', async () => {
    const log = path.join(dir, 'app.jsonl');
    writeFileSync(log, '');
    const first = await start();
    appendFileSync(log, line(1));
    await first.s.tailer?.settle();
    await stop(first.s);
    const second = await start({ labels: { allow: ['model'] } });
    const m = await scrape(second.port);
    expect(m.sum('llmtail_requests_total')).toBe(0);
    expect(readdirSync(path.join(dir, 'state')).some((f) => f.startsWith('checkpoint.json.bad-'))).toBe(true);
  });

  it('sets aside a checkpoint that passes the shape checks but cannot be restored, instead of failing every start', async () => {
    const log = path.join(dir, 'app.jsonl');
    writeFileSync(log, '');
    const first = await start();
    appendFileSync(log, line(1));
    await first.s.tailer?.settle();
    await stop(first.s);
    const file = path.join(dir, 'state', 'checkpoint.json');
    const cp = JSON.parse(readFileSync(file, 'utf8')) as { parts: { metrics: { limiter: { folded: number[] } } } };
    cp.parts.metrics.limiter.folded.push(0);
    writeFileSync(file, JSON.stringify(cp));
    const second = await start();
    expect((await scrape(second.port)).sum('llmtail_requests_total')).toBe(0);
    expect(readdirSync(path.join(dir, 'state')).some((f) => f.startsWith('checkpoint.json.bad-'))).toBe(true);
  });

  it('an /ingest body counted while the checkpoint cannot be written is acknowledged as not durable', async () => {
    const { port } = await start({ inputs: [], web: { listen_address: '127.0.0.1:0', enable_ingest: true } });
    const post = async () => (await fetch(`http://127.0.0.1:${port}/ingest`, { method: 'POST', body: line(1) })).json();
    expect(await post()).toMatchObject({ accepted: 1, durable: true });
    // A deleted state directory would be created again; a file in its place cannot be written.
    rmSync(path.join(dir, 'state'), { recursive: true });
    writeFileSync(path.join(dir, 'state'), '');
    expect(await post()).toMatchObject({ accepted: 1, durable: false });
  });
});
