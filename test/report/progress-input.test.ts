import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import type { InferenceEvent } from '../../src/events/event.js';
import { ProgressBar, type ProgressStream } from '../../src/report/progress.js';
import { isGzip, readInput } from '../../src/report/read-input.js';

class FakeStream implements ProgressStream {
  out = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 200,
  ) {}
  write(text: string): boolean {
    this.out += text;
    return true;
  }
}

describe('ProgressBar', () => {
  const make = (mode: 'auto' | 'always' | 'never', tty: boolean) => {
    let now = 0;
    const stream = new FakeStream(tty);
    const bar = new ProgressBar(stream, { mode, totalBytes: 1000, lines: () => 500, now: () => now, intervalMs: 1_000_000 });
    return { stream, bar, advance: (ms: number) => (now += ms) };
  };

  it('auto on a terminal: nothing in the first second, then bytes of total, percentage and lines/s; cleared at the end', () => {
    const { stream, bar, advance } = make('auto', true);
    bar.start();
    bar.addBytes(250);
    advance(900);
    bar.tick();
    expect(stream.out).toBe('');
    advance(100);
    bar.input('app.jsonl');
    expect(stream.out).toBe('\r\x1b[K[#####---------------] 250 B / 1000 B (25 %)  500 lines/s  app.jsonl');
    bar.stop();
    expect(stream.out.endsWith('\r\x1b[K')).toBe(true);
  });

  it('auto off a terminal and never: silent; always: at once, terminal or not', () => {
    for (const [mode, tty] of [
      ['auto', false],
      ['never', true],
    ] as const) {
      const { stream, bar, advance } = make(mode, tty);
      bar.start();
      advance(5000);
      bar.tick();
      bar.stop();
      expect(stream.out).toBe('');
    }
    const { stream, bar } = make('always', false);
    bar.start();
    expect(stream.out).toContain('lines/s');
    bar.stop();
  });

  it('a fast read is never shown, so nothing needs clearing', () => {
    const { stream, bar } = make('auto', true);
    bar.start();
    bar.stop();
    expect(stream.out).toBe('');
  });

  it('unknown total (stdin): bytes read and rate, no bar; cut to the terminal width', () => {
    const stream = new FakeStream(true, 30);
    const bar = new ProgressBar(stream, { mode: 'always', totalBytes: undefined, lines: () => 0 });
    expect(bar.render()).toMatch(/^0 B read {2}0 lines\/s/);
    expect(bar.render().length).toBeLessThan(30);
  });
});

describe('readInput', () => {
  let dir: string;
  const lines = Array.from({ length: 5000 }, (_, i) => `{"total_time_ms":${i + 1},"input_tokens":1}`).join('\n');
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmtail-report-input-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function pipeline(): { pipeline: Pipeline; events: InferenceEvent[] } {
    const events: InferenceEvent[] = [];
    const p = new Pipeline({ preset: 'flat', defaultModel: 'm', limits: { maxDurationSeconds: 86_400, maxTokens: 1e7, maxBytes: 1e15 } }, [{ consume: (e) => events.push(e) }], 1 << 20);
    return { pipeline: p, events };
  }

  it('gzip is known by its magic bytes', () => {
    expect(isGzip(gzipSync('x'))).toBe(true);
    expect(isGzip(Buffer.from('{"a":1}'))).toBe(false);
    expect(isGzip(Buffer.from([0x1f]))).toBe(false);
  });

  it('plain, gzip and multi-member gzip (cat a.gz b.gz) files give the same lines; progress hears the stored bytes', async () => {
    const plain = path.join(dir, 'a.jsonl');
    const gz = path.join(dir, 'a.jsonl.gz');
    const multi = path.join(dir, 'multi');
    writeFileSync(plain, lines);
    writeFileSync(gz, gzipSync(lines));
    const half = lines.indexOf('\n', lines.length / 2) + 1;
    writeFileSync(multi, Buffer.concat([gzipSync(lines.slice(0, half)), gzipSync(lines.slice(half))]));
    for (const [file, gzip] of [
      [plain, false],
      [gz, true],
      [multi, true],
    ] as const) {
      const { pipeline: p, events } = pipeline();
      let bytes = 0;
      expect(await readInput(file, p, (n) => (bytes += n))).toEqual({ gzip, bytes: statSync(file).size, damage: null });
      expect(events).toHaveLength(5000);
      expect(events[4999]?.e2eSeconds).toBe(5); // the last line, without newline, counted
      expect(p.stats.bytesRead).toBe(Buffer.byteLength(lines));
      expect(bytes).toBe(gzip ? (file === gz ? gzipSync(lines).length : bytes) : Buffer.byteLength(lines));
    }
  });

  it('an empty file and a one-byte file are fine', async () => {
    for (const content of ['', '\n', '{']) {
      const file = path.join(dir, `small-${content.length}`);
      writeFileSync(file, content);
      const { pipeline: p } = pipeline();
      await readInput(file, p, () => undefined);
      expect(p.stats.total()).toBe(content === '' ? 0 : 1);
    }
  });

  const openFds = () => readdirSync('/proc/self/fd').length;

  it('a truncated gzip file: the lines before the cut are read, the partial line dropped, the file closed', async () => {
    const file = path.join(dir, 'cut.gz');
    const gz = gzipSync(lines);
    writeFileSync(file, gz.subarray(0, Math.floor(gz.length / 2)));
    const fds = openFds();
    const { pipeline: p, events } = pipeline();
    expect(await readInput(file, p, () => undefined)).toEqual({ gzip: true, bytes: Math.floor(gz.length / 2), damage: 'truncated' });
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(5000);
    // A prefix of the file, in order, every line whole (no broken last line counted as invalid).
    expect(events.map((e) => e.e2eSeconds)).toEqual(Array.from({ length: events.length }, (_, i) => (i + 1) / 1000));
    expect(p.stats.total()).toBe(events.length);
    expect(openFds()).toBe(fds);
  });

  it('a corrupt gzip file: damage reported, the file closed', async () => {
    const file = path.join(dir, 'corrupt.gz');
    const gz = Buffer.from(gzipSync(lines));
    gz[gz.length - 8]! ^= 0xff; // the CRC-32 of the data: "incorrect data check" once all is read
    writeFileSync(file, gz);
    const fds = openFds();
    const { pipeline: p } = pipeline();
    const result = await readInput(file, p, () => undefined);
    expect(result.damage).toBe('corrupt');
    // Lines whole up to where zlib stopped handing out data; the last (no newline) not flushed past the damage.
    expect(p.stats.total()).toBeGreaterThan(0);
    expect(p.stats.total()).toBeLessThan(5000);
    expect(p.stats.results[1]).toBe(0); // no invalid line
    expect(openFds()).toBe(fds);
  });

  it('another read error is still an error, and the file is closed', async () => {
    const fds = openFds();
    await expect(readInput(dir, pipeline().pipeline, () => undefined)).rejects.toThrow();
    expect(openFds()).toBe(fds);
  });

  it('a FIFO (no positional reads, no size): plain and gzip, read as a stream', async () => {
    for (const gzip of [false, true]) {
      const fifo = path.join(dir, `fifo-${gzip}`);
      execFileSync('mkfifo', [fifo]);
      const { pipeline: p, events } = pipeline();
      let bytes = 0;
      const writing = writeFile(fifo, gzip ? gzipSync(lines) : lines);
      const fds = openFds();
      const result = await readInput(fifo, p, (n) => (bytes += n));
      await writing;
      expect(result).toEqual({ gzip, bytes: null, damage: null });
      expect(events).toHaveLength(5000);
      expect(bytes).toBe(gzip ? gzipSync(lines).length : Buffer.byteLength(lines));
      expect(openFds()).toBe(fds);
    }
  });
});
