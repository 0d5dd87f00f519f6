import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestMetrics } from '../../src/consumers/metrics/request-metrics.js';
import { createLogger } from '../../src/log/logger.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { FileTailer, type FileTailerOptions } from '../../src/sources/file-tailer.js';

const line = (id: number | string, model = 'm') => `{"request_id":"r${id}","model":"${model}","total_time_ms":100,"status":"success"}\n`;

let dir: string;
let tailers: FileTailer[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-tailer-'));
});
afterEach(async () => {
  for (const t of tailers) await t.stop();
  tailers = [];
  rmSync(dir, { recursive: true, force: true });
});

function harness(patterns: string[], options: Partial<FileTailerOptions> = {}, now?: () => number) {
  const metrics = new RequestMetrics({ labels: ['model', 'status'], maxValuesPerLabel: 1000, maxLabelValueLength: 128, buckets: {}, exemplars: false });
  const pipeline = new Pipeline({ preset: 'auto', defaultModel: 'unknown', limits: { maxDurationSeconds: 86400, maxTokens: 1e7, maxBytes: 2 ** 44 } }, [metrics], options.readChunkBytes ?? 1 << 20);
  const tailer = new FileTailer(
    patterns,
    { fromBeginning: false, pollIntervalMs: 50, batchMs: 0, readChunkBytes: 64 * 1024, readBudgetBytes: 1 << 20, rotateWaitMs: 200, fingerprintBytes: 256, ...options },
    pipeline,
    createLogger('error', 'json'),
    now,
  );
  tailers.push(tailer);
  const requests = () => [...metrics.series.values()].reduce((a, s) => a + s.requests, 0);
  return { tailer, pipeline, metrics, requests };
}

/** Polls a condition the code under test makes true by itself (a watch event, a timer): no sleeping for a fixed time. */
async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('FileTailer', () => {
  it('starts existing files at their end (after the last complete line) and follows appends', async () => {
    const f = path.join(dir, 'a.jsonl');
    writeFileSync(f, `${line(1)}${line(2)}{"partial":`);
    const h = harness([f]);
    await h.tailer.start();
    // The line being written at startup is read whole once finished, not as a broken tail.
    appendFileSync(f, `1}\n${line(3)}`);
    await h.tailer.settle();
    expect(h.requests()).toBe(1);
    expect(h.pipeline.stats.results[2]).toBe(1); // {"partial":1} is valid JSON, not a request: unmapped
  });

  it('batches: the first write is read at once, later ones on the batch timer or when a scrape catches up', async () => {
    const f = path.join(dir, 'a.jsonl');
    writeFileSync(f, '');
    // A batch timer that never fires during the test, and no poll: only events and catchUp() read.
    const h = harness([f], { batchMs: 3_600_000, pollIntervalMs: 3_600_000 });
    await h.tailer.start();
    appendFileSync(f, line(1));
    await eventually(() => h.requests() === 1);
    // Batching now: the watch is closed, so this write wakes nothing up…
    appendFileSync(f, `${line(2)}${line(3)}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.requests()).toBe(1);
    // …until a scrape reads what is there, synchronously.
    h.tailer.catchUp();
    expect(h.requests()).toBe(3);
  });

  it('leaves batching after two quiet looks and follows writes by watch events again', async () => {
    const f = path.join(dir, 'a.jsonl');
    writeFileSync(f, '');
    const h = harness([f], { batchMs: 20, pollIntervalMs: 3_600_000 });
    await h.tailer.start();
    for (let i = 1; i <= 5; i++) {
      appendFileSync(f, line(i));
      await eventually(() => h.requests() === i);
    }
    // Quiet for many batch intervals, then a write: seen without a poll or a scrape.
    await new Promise((r) => setTimeout(r, 200));
    appendFileSync(f, line(6));
    await eventually(() => h.requests() === 6);
  });

  it('while batching, the poll does not look itself: the next batch look lists the inputs again and finds a new file', async () => {
    const a = path.join(dir, 'a.jsonl');
    writeFileSync(a, '');
    // Both timers are driven by the test; watch events and file I/O are real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const h = harness([path.join(dir, '*.jsonl')], { batchMs: 1000, pollIntervalMs: 100 });
      await h.tailer.start();
      appendFileSync(a, line(1));
      await eventually(() => h.requests() === 1);
      // Batching now (the watches are closed). A new file appears.
      writeFileSync(path.join(dir, 'b.jsonl'), line(2));
      vi.advanceTimersByTime(500);
      // A negative check: five polls have fired, none of them read.
      await new Promise((r) => setTimeout(r, 200));
      expect(h.requests()).toBe(1);
      // The batch look lists the inputs (the polls asked it to) and reads the new file from its start.
      vi.advanceTimersByTime(500);
      await eventually(() => h.requests() === 2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds a partial line until its newline, however long that takes, and splits UTF-8 safely', async () => {
    const f = path.join(dir, 'a.jsonl');
    writeFileSync(f, '');
    const h = harness([f]);
    await h.tailer.start();
    const bytes = Buffer.from(line('é中😀'));
    for (let i = 0; i < bytes.length - 1; i++) {
      appendFileSync(f, bytes.subarray(i, i + 1));
      await h.tailer.settle();
    }
    await new Promise((r) => setTimeout(r, 200)); // several poll intervals: nothing is flushed on a timer
    await h.tailer.settle();
    expect(h.requests()).toBe(0);
    expect(h.pipeline.stats.total()).toBe(0);
    appendFileSync(f, bytes.subarray(bytes.length - 1));
    await h.tailer.settle();
    expect(h.requests()).toBe(1);
    expect(h.pipeline.stats.warnings[1]).toBe(0); // no invalid_utf8
    expect(h.pipeline.stats.bytesRead).toBe(bytes.length);
  });

  it('reads files that appear later under the glob from byte 0, and ignores files never written to', async () => {
    mkdirSync(path.join(dir, 'logs'));
    writeFileSync(path.join(dir, 'logs', 'empty.jsonl'), '');
    const h = harness([path.join(dir, 'logs', '*.jsonl')]);
    await h.tailer.start();
    for (let i = 0; i < 100; i++) writeFileSync(path.join(dir, 'logs', `f${String(i).padStart(3, '0')}.jsonl`), `${line(i)}${line(i)}`);
    await h.tailer.settle();
    await h.tailer.settle();
    expect(h.requests()).toBe(200);
    expect(h.tailer.fileCount).toBe(101);
  });

  it('rename + create: reads late lines from the old file during rotate_wait, then the new file from 0', async () => {
    const f = path.join(dir, 'app.jsonl');
    writeFileSync(f, '');
    let now = 0;
    const h = harness([f], { rotateWaitMs: 1000 }, () => now);
    await h.tailer.start();
    appendFileSync(f, line(1));
    await h.tailer.settle();
    renameSync(f, `${f}.1`);
    writeFileSync(f, line(2));
    await h.tailer.settle();
    // The writer has not reopened yet: it still appends to the renamed file.
    appendFileSync(`${f}.1`, line(3));
    await h.tailer.settle();
    expect(h.requests()).toBe(3);
    expect(h.tailer.rotations).toBe(1);
    expect(h.tailer.drainingCount).toBe(1);
    now = 2000; // past rotate_wait: the old file is read one last time and closed
    appendFileSync(`${f}.1`, line(4));
    await h.tailer.settle();
    expect(h.requests()).toBe(4);
    expect(h.tailer.drainingCount).toBe(0);
    appendFileSync(`${f}.1`, line(5)); // too late: nobody reads it any more
    appendFileSync(f, line(6));
    await h.tailer.settle();
    expect(h.requests()).toBe(5);
  });

  it('a rotated file renamed to a name the glob also matches just continues (no double count)', async () => {
    const h = harness([path.join(dir, 'app.jsonl*')]);
    const f = path.join(dir, 'app.jsonl');
    writeFileSync(f, '');
    await h.tailer.start();
    appendFileSync(f, `${line(1)}${line(2)}`);
    await h.tailer.settle();
    renameSync(f, `${f}.1`);
    writeFileSync(f, line(3));
    appendFileSync(`${f}.1`, line(4));
    await h.tailer.settle();
    await h.tailer.settle();
    expect(h.requests()).toBe(4);
  });

  it('copytruncate: a file that shrinks is read again from 0, and counted as a truncation', async () => {
    const f = path.join(dir, 'app.jsonl');
    writeFileSync(f, '');
    const h = harness([f]);
    await h.tailer.start();
    appendFileSync(f, `${line(1)}${line(2)}${line(3)}`);
    await h.tailer.settle();
    truncateSync(f, 0);
    appendFileSync(f, line(4));
    await h.tailer.settle();
    expect(h.requests()).toBe(4);
    expect(h.tailer.truncations).toBe(1);
    expect(h.tailer.bytesLost).toBe(0);
  });

  it('truncated and regrown past the offset between two looks: the fingerprint tells, and the new content is read from 0', async () => {
    const f = path.join(dir, 'app.jsonl');
    writeFileSync(f, '');
    const h = harness([f]);
    await h.tailer.start();
    appendFileSync(f, line('a'));
    await h.tailer.settle();
    // Same inode, size larger than our offset, but different bytes at the start.
    writeFileSync(f, `${line('b')}${line('c')}`);
    await h.tailer.settle();
    expect(h.requests()).toBe(3);
    expect(h.tailer.truncations).toBe(1);
  });

  it('delete + recreate, and a symlink whose target changes', async () => {
    const f = path.join(dir, 'app.jsonl');
    writeFileSync(f, '');
    const target1 = path.join(dir, 'one.jsonl');
    const target2 = path.join(dir, 'two.jsonl');
    writeFileSync(target1, '');
    writeFileSync(target2, `${line('t2-old')}`);
    const link = path.join(dir, 'current.jsonl');
    symlinkSync(target1, link);
    const h = harness([f, link]);
    await h.tailer.start();
    appendFileSync(f, line(1));
    appendFileSync(target1, line(2));
    await h.tailer.settle();
    unlinkSync(f);
    writeFileSync(f, line(3));
    unlinkSync(link);
    symlinkSync(target2, link);
    await h.tailer.settle();
    await h.tailer.settle();
    // The new symlink target is a new file to us: read from 0, including its older line.
    expect(h.requests()).toBe(4);
    expect(h.tailer.rotations).toBe(2);
  });

  it('a backlog larger than the read budget yields to the event loop between budgets', async () => {
    const f = path.join(dir, 'big.jsonl');
    writeFileSync(f, '');
    const h = harness([f], { readBudgetBytes: 64 * 1024, readChunkBytes: 16 * 1024 });
    await h.tailer.start();
    appendFileSync(f, line(0).repeat(20_000)); // ~1.6 MB
    let seenMidway: number | undefined;
    const probe = setInterval(() => {
      const n = h.requests();
      if (seenMidway === undefined && n > 0 && n < 20_000) seenMidway = n;
    }, 0);
    await h.tailer.settle();
    clearInterval(probe);
    expect(h.requests()).toBe(20_000);
    expect(seenMidway).toBeDefined();
  });

  it('checkpoints the offset of the partial line, so a restart reads it whole', async () => {
    const f = path.join(dir, 'app.jsonl');
    writeFileSync(f, '');
    const h = harness([f]);
    await h.tailer.start();
    appendFileSync(f, `${line(1)}{"request_id":"r2",`);
    await h.tailer.settle();
    const cp = h.tailer.checkpoint();
    expect(cp.files).toHaveLength(1);
    expect(cp.files[0]?.offset).toBe(Buffer.byteLength(line(1)));
    await h.tailer.stop();

    appendFileSync(f, '"model":"m","total_time_ms":1,"status":"success"}\n');
    const again = harness([f]);
    await again.tailer.start(cp);
    await again.tailer.settle();
    expect(again.requests()).toBe(1); // only r2: r1 was counted by the first run
  });

  it('resumes a file rotated away while stopped from its checkpointed offset, then the new file from 0', async () => {
    const f = path.join(dir, 'app.jsonl');
    writeFileSync(f, '');
    const h = harness([f]);
    await h.tailer.start();
    appendFileSync(f, line(1));
    await h.tailer.settle();
    const cp = h.tailer.checkpoint();
    await h.tailer.stop();

    appendFileSync(f, line(2)); // written after the checkpoint, before the rotation
    renameSync(f, `${f}.1`);
    writeFileSync(f, line(3));
    const again = harness([f]);
    await again.tailer.start(cp);
    await again.tailer.settle();
    expect(again.requests()).toBe(2); // r2 from the rotated file, r3 from the new one
  });
});
