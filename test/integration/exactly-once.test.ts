import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../../src/simulator/random.js';
import { eventually, runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { parseExposition, type Exposition, type ParsedSample } from '../helpers/exposition.js';
import { Scraper } from '../helpers/scraper.js';
import { startWriter, type WriterEvent, type WriterProcess, type WriterStop } from '../helpers/writer-process.js';

/**
 * Issue 3's "Done when" tests, with real processes: the sidecar is the built CLI, the log writer
 * is its own Node process (test/helpers/log-writer.mjs) appending at full speed and rotating the
 * file like logrotate, and /metrics is scraped over HTTP. Every line the writer writes is exactly
 * LINE_BYTES long, so bytes convert exactly to lines.
 */

const LINE_BYTES = 256;
const TOTAL_LINES = 200_000;

let dir: string;
let sidecars: RunningCli[] = [];
let writers: WriterProcess[] = [];
let scrapers: Scraper[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-exactly-once-'));
});

afterEach(async () => {
  const [s, w, c] = [scrapers, writers, sidecars];
  scrapers = [];
  writers = [];
  sidecars = [];
  for (const scraper of s) await scraper.stop();
  for (const writer of w) writer.kill();
  // A process that already exited (a SIGKILLed one has exitCode null but a signalCode) is left be.
  for (const cli of c) if (cli.proc.exitCode === null && cli.proc.signalCode === null) await cli.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function config(yaml: string): string {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

async function sidecar(args: string[]): Promise<RunningCli> {
  const cli = await startCli(['run', '--web.listen-address', '127.0.0.1:0', ...args]);
  sidecars.push(cli);
  return cli;
}

async function scrape(cli: RunningCli): Promise<Exposition> {
  return parseExposition(await (await fetch(cli.url('/metrics'))).text());
}

/**
 * The counters checked for never going down: every llmtail_ counter and histogram, except the
 * checkpoint writer's own write/failure counts, which describe this process (like
 * process_cpu_seconds_total) and are not part of the checkpointed state.
 */
const checkedFamilies = (family: string): boolean => family.startsWith('llmtail_') && !family.startsWith('llmtail_checkpoint_');

/** Lines the sidecar has accounted for: counted, or counted as lost (whole lines of LINE_BYTES). */
const accounted = (m: Exposition): number => m.sum('llmtail_lines_total') + (m.get('llmtail_file_bytes_lost_total') ?? 0) / LINE_BYTES;

/**
 * Before a rename or delete: hold it until the sidecar has counted a line of the file the writer
 * has open. Following one path (not a glob of rotated names), a tailer that never opened a file
 * cannot read it once it is renamed away; at full speed several rotations could otherwise pass
 * between two of its looks, and a whole generation would never be seen at the path.
 */
const openedCurrent = (scraper: Scraper, stop: WriterStop) =>
  scraper.waitFor((m) => accounted(m) > stop.linesBefore, 60_000, `a line after line ${stop.linesBefore} to be counted (before the ${stop.action} at line ${stop.at})`);

/**
 * Before a copytruncate: hold it until the sidecar knows of every byte written so far (read, lost,
 * or seen by stat and not yet read: lag), but not until it has read them. The truncation then
 * races the reader, and everything it takes is bytes the sidecar knew existed.
 */
const sawEveryByte = (scraper: Scraper, stop: WriterStop) =>
  scraper.waitFor(
    (m) => (m.get('llmtail_read_bytes_total') ?? 0) + (m.get('llmtail_file_bytes_lost_total') ?? 0) + m.sum('llmtail_file_lag_bytes') === stop.written * LINE_BYTES,
    60_000,
    `the sidecar to know of all ${stop.written} lines written (before the ${stop.action} at line ${stop.at})`,
    { eager: true },
  );

describe('exactly-once tailing (real processes)', () => {
  it(
    'torture: 200,000 lines at full speed through 5 renames, 2 copytruncates and a delete are each counted once',
    async () => {
      const log = path.join(dir, 'app.jsonl');
      writeFileSync(log, '');
      const cfg = config(
        [
          'tail:',
          '  poll_interval_ms: 100',
          '  rotate_wait_ms: 2000',
          // Small turns: the tailer re-stats the file often while it works through a backlog.
          '  read_chunk_bytes: 65536',
          '  read_budget_bytes: 262144',
          'checkpoint:',
          '  interval_ms: 1000',
          '',
        ].join('\n'),
      );
      const cli = await sidecar(['--config', cfg, '--input', log, '--state-dir', path.join(dir, 'state')]);
      const scraper = new Scraper({ url: () => cli.url('/metrics'), intervalMs: 50, jitterMs: 50, include: checkedFamilies });
      scrapers.push(scraper);
      scraper.start();

      // 5 renames (some with late lines to the old fd, read within rotate_wait), 2 copytruncates,
      // 1 delete + recreate (with late lines to the deleted file, which the tailer holds open).
      const events: WriterEvent[] = [
        { at: 20_000, action: 'rename', late: 5, gate: true },
        { at: 40_000, action: 'copytruncate', gate: true },
        { at: 60_000, action: 'rename', gate: true },
        { at: 80_000, action: 'delete', late: 3, gate: true },
        { at: 100_000, action: 'rename', late: 10, gate: true },
        { at: 120_000, action: 'copytruncate', gate: true },
        { at: 140_000, action: 'rename', gate: true },
        { at: 170_000, action: 'rename', late: 7, gate: true },
      ];
      const writer = startWriter({ file: log, lines: TOTAL_LINES, lineBytes: LINE_BYTES, seed: 11, maxBatch: 64, events }, async (stop) => {
        await (stop.action === 'copytruncate' ? sawEveryByte(scraper, stop) : openedCurrent(scraper, stop));
      });
      writers.push(writer);
      const done = await writer.done;
      expect(done.written).toBe(TOTAL_LINES);

      const m = await scraper.waitSettled(90_000);
      const counted = m.sum('llmtail_requests_total');
      const lost = m.get('llmtail_file_bytes_lost_total') ?? 0;
      // copytruncate's documented race: lines the writer appended after the tailer's last read and
      // before the truncation are gone from the file (they sit only in the copy, which is not an
      // input). The tailer knew of their bytes (the sawEveryByte gate) and counts them in
      // llmtail_file_bytes_lost_total. So: written = counted + lost bytes / LINE_BYTES, and the
      // lost bytes are whole lines. Renames and the delete lose nothing.
      expect(lost % LINE_BYTES).toBe(0);
      expect(counted + lost / LINE_BYTES).toBe(done.written);
      // Every line is a request: nothing invalid, nothing counted twice into another result.
      expect(m.sum('llmtail_lines_total')).toBe(counted);
      expect(m.sum('llmtail_lines_invalid_total')).toBe(0);
      expect(m.sum('llmtail_read_bytes_total')).toBe(counted * LINE_BYTES);
      // Each rename and the delete replace the file at the path exactly once, and the gates make
      // sure the tailer had that file open, so it sees each replacement once: 5 + 1 = 6. A
      // copytruncate keeps the file (same inode): not a rotation, but exactly one truncation each.
      expect(m.get('llmtail_file_rotations_total')).toBe(6);
      expect(m.get('llmtail_file_truncations_total')).toBe(2);
      expect(m.get('llmtail_files_watched')).toBe(1);
      expect({ decreases: scraper.violations.length, first: scraper.violations.slice(0, 12) }).toEqual({ decreases: 0, first: [] });
      console.info(`torture: ${counted} counted, ${lost / LINE_BYTES} lines lost to copytruncate, ${scraper.scrapes} scrapes`);
    },
    180_000,
  );

  it(
    'crash: SIGKILLed 3 times (once mid-rotation) during a 200,000-line write, it ends equal to one uninterrupted replay and no scraped counter ever went down',
    async () => {
      const log = path.join(dir, 'app.jsonl');
      writeFileSync(log, '');
      const state = path.join(dir, 'state');
      const cfg = config(['tail:', '  poll_interval_ms: 100', '  rotate_wait_ms: 2000', ''].join('\n'));
      const args = ['--config', cfg, '--input', log, '--state-dir', state];
      let cli: RunningCli | undefined = await sidecar(args);
      const scraper = new Scraper({ url: () => cli?.url('/metrics'), intervalMs: 50, jitterMs: 50, include: checkedFamilies });
      scrapers.push(scraper);
      scraper.start();

      // Seeded kill points: one right after one of the three renames (before the writer reopens
      // the path), two at random lines away from the renames.
      const rng = new Rng(20_250_101);
      const random = () => rng.float();
      const renameAt = [50_000, 100_000, 150_000];
      const killedRename = Math.floor(random() * renameAt.length);
      const pauses: number[] = [];
      while (pauses.length < 2) {
        const at = 5_000 + Math.floor(random() * 190_000);
        if ([...renameAt, ...pauses].every((r) => Math.abs(r - at) > 5_000)) pauses.push(at);
      }
      const events: WriterEvent[] = [
        ...renameAt.map((at, i): WriterEvent => ({ at, action: 'rename', late: 4, gate: true, notify: i === killedRename })),
        ...pauses.map((at): WriterEvent => ({ at, action: 'pause' })),
      ];

      const kills: string[] = [];
      const kill = async (where: string) => {
        const victim = cli as RunningCli;
        cli = undefined;
        await victim.stop('SIGKILL');
        kills.push(where);
      };
      let restarting: Promise<void> = Promise.resolve();
      const restart = async () => {
        cli = await sidecar(args);
      };
      const writer = startWriter(
        { file: log, lines: TOTAL_LINES, lineBytes: LINE_BYTES, seed: 23, maxBatch: 64, malformedEvery: 997, events },
        async (stop) => {
          if (stop.type === 'gate') {
            await openedCurrent(scraper, stop);
          } else if (stop.type === 'renamed') {
            // Mid-rotation: app.jsonl is gone, the old file sits at app.jsonl.N and will still get
            // late lines; the sidecar restarts before the writer reopens the path.
            await kill(`after rename at line ${stop.at}`);
            await restart();
          } else {
            // At a random line: the writer goes on while the sidecar is down and restarting.
            await kill(`at line ${stop.at}`);
            restarting = restart();
          }
        },
      );
      writers.push(writer);
      const done = await writer.done;
      expect(done.written).toBe(TOTAL_LINES);
      expect(kills).toHaveLength(3);
      await restarting;

      const m = await scraper.waitSettled(90_000);
      await scraper.stop();
      expect({ decreases: scraper.violations.length, first: scraper.violations.slice(0, 12) }, `killed ${kills.join('; ')}`).toEqual({ decreases: 0, first: [] });
      expect(scraper.scrapes).toBeGreaterThan(20);

      // One uninterrupted replay of the same lines: the rotated files and the last one, in write
      // order. The writer ends every line with a newline, so replay's counting of a final
      // unterminated line does not come into it.
      expect(done.files.map((f) => path.basename(f.path))).toEqual(['app.jsonl.1', 'app.jsonl.2', 'app.jsonl.3', 'app.jsonl']);
      const replay = await runCli(['replay', ...done.files.map((f) => f.path)]);
      expect(replay.code).toBe(0);
      const want = parseExposition(replay.stdout);
      expect(want.sum('llmtail_lines_total')).toBe(TOTAL_LINES);
      expect(want.get('llmtail_lines_invalid_total', { reason: 'json_syntax' })).toBe(Math.floor(TOTAL_LINES / 997));

      // Every counter and histogram sample replay prints (requests, errors, tokens, all histogram
      // buckets, sums and counts, lines by result and invalid reason, bytes read, warnings)
      // equals the restarted sidecar's, series for series; sums within 1e-9 relative.
      const families = [...want.types].filter(([name, type]) => (type === 'counter' || type === 'histogram') && name.startsWith('llmtail_')).map(([name]) => name);
      expect(families).toEqual(expect.arrayContaining(['llmtail_requests_total', 'llmtail_request_errors_total', 'llmtail_request_duration_seconds', 'llmtail_prompt_tokens_total', 'llmtail_completion_tokens_total', 'llmtail_lines_total', 'llmtail_lines_invalid_total']));
      const inFamilies = (s: ParsedSample) => families.some((f) => s.name === f || (want.types.get(f) === 'histogram' && /^(.*)_(bucket|sum|count)$/.exec(s.name)?.[1] === f));
      const key = (s: ParsedSample) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
      const got = new Map(m.samples.filter(inFamilies).map((s) => [key(s), s.value]));
      const expected = want.samples.filter(inFamilies);
      expect(expected.length).toBeGreaterThan(100);
      const mismatches: string[] = [];
      for (const s of expected) {
        const v = got.get(key(s));
        const ok = v !== undefined && (s.name.endsWith('_sum') ? Math.abs(v - s.value) <= 1e-9 * Math.max(1, Math.abs(s.value)) : v === s.value);
        if (!ok) mismatches.push(`${key(s)}: replay ${s.value}, sidecar ${v}`);
        got.delete(key(s));
      }
      for (const [k, v] of got) if (v !== 0) mismatches.push(`${k}: only in the sidecar (${v})`);
      expect({ differing: mismatches.length, first: mismatches.slice(0, 12) }, `killed ${kills.join('; ')}`).toEqual({ differing: 0, first: [] });
      console.info(`crash: killed ${kills.join('; ')}; ${scraper.scrapes} scrapes, ${scraper.failures} refused`);
    },
    240_000,
  );

  describe('edge cases', () => {
    const fastPoll = () => config(['tail:', '  poll_interval_ms: 100', ''].join('\n'));
    const line = (id: string, model = 'm') => `{"request_id":"${id}","model":"${model}","total_time_ms":100,"status":"success"}\n`;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const waitFor = (cli: RunningCli, ok: (m: Exposition) => boolean, what: string) =>
      eventually(
        async () => {
          const m = await scrape(cli);
          return ok(m) ? m : undefined;
        },
        15_000,
        what,
      );

    it('holds a partial line written byte by byte until its newline, on no timer', async () => {
      const log = path.join(dir, 'app.jsonl');
      writeFileSync(log, '');
      const cli = await sidecar(['--config', fastPoll(), '--input', log]);
      appendFileSync(log, line('first'));
      await waitFor(cli, (m) => m.sum('llmtail_requests_total') === 1, 'the first line');

      const bytes = Buffer.from(line('second'));
      for (let i = 0; i < bytes.length - 1; i++) {
        appendFileSync(log, bytes.subarray(i, i + 1));
        if (i % 16 === 0) await sleep(5);
      }
      // The tailer has seen every byte but the newline: they are lag, not a line.
      await waitFor(cli, (m) => m.get('llmtail_file_lag_bytes', { path: log }) === bytes.length - 1, 'the partial line to be seen');
      // Five poll intervals later it is still held: no timer flushes it.
      await sleep(500);
      const held = await scrape(cli);
      expect(held.sum('llmtail_lines_total')).toBe(1);
      expect(held.get('llmtail_read_bytes_total')).toBe(Buffer.byteLength(line('first')));
      expect(held.get('llmtail_file_lag_bytes', { path: log })).toBe(bytes.length - 1);

      appendFileSync(log, '\n');
      const m = await waitFor(cli, (x) => x.sum('llmtail_lines_total') === 2, 'the finished line');
      expect(m.get('llmtail_requests_total', { model: 'm', status: 'success' })).toBe(2);
      expect(m.sum('llmtail_lines_invalid_total')).toBe(0);
      expect(m.get('llmtail_read_bytes_total')).toBe(Buffer.byteLength(line('first')) + bytes.length);
      expect(m.get('llmtail_file_lag_bytes', { path: log })).toBe(0);
    });

    it('decodes multi-byte UTF-8 characters split across writes whole', async () => {
      const log = path.join(dir, 'app.jsonl');
      writeFileSync(log, '');
      const cli = await sidecar(['--config', fastPoll(), '--input', log]);
      // 2-, 3- and 4-byte characters; every write boundary below but the last falls inside one:
      // é is bytes s..s+1, 中 s+3..s+5, 文 s+6..s+8, 😀 s+10..s+13.
      const model = 'é-中文-😀';
      const bytes = Buffer.from(line('u1', model));
      const s = bytes.indexOf(Buffer.from('é'));
      const cuts = [s + 1, s + 4, s + 5, s + 7, s + 11, s + 13, bytes.length];
      let from = 0;
      for (const cut of cuts) {
        appendFileSync(log, bytes.subarray(from, cut));
        from = cut;
        // Let the tailer read this piece on its own before the next arrives.
        if (cut < bytes.length) await waitFor(cli, (m) => m.get('llmtail_file_lag_bytes', { path: log }) === cut, `bytes up to ${cut}`);
      }
      const m = await waitFor(cli, (x) => x.sum('llmtail_lines_total') === 1, 'the line');
      expect(m.get('llmtail_requests_total', { model, status: 'success' })).toBe(1);
      expect(m.sum('llmtail_requests_total')).toBe(1);
      expect(m.get('llmtail_line_warnings_total', { reason: 'invalid_utf8' })).toBe(0);
    });

    it('counts a 5 MiB line (lines.max_bytes 8 MiB) and the line after it', async () => {
      const log = path.join(dir, 'app.jsonl');
      writeFileSync(log, '');
      const cfg = config(['tail:', '  poll_interval_ms: 100', 'lines:', `  max_bytes: ${8 * 1024 * 1024}`, ''].join('\n'));
      const cli = await sidecar(['--config', cfg, '--input', log]);
      const big = `{"request_id":"big","model":"big","total_time_ms":250,"status":"success","prompt":"${'p'.repeat(5 * 1024 * 1024)}"}\n`;
      expect(Buffer.byteLength(big)).toBeGreaterThan(5 * 1024 * 1024);
      // In three writes, so the tailer may see it in pieces too.
      const third = Math.floor(big.length / 3);
      appendFileSync(log, big.slice(0, third));
      appendFileSync(log, big.slice(third, 2 * third));
      appendFileSync(log, big.slice(2 * third) + line('after'));
      const m = await waitFor(cli, (x) => x.sum('llmtail_lines_total') === 2, 'both lines');
      expect(m.get('llmtail_requests_total', { model: 'big', status: 'success' })).toBe(1);
      expect(m.get('llmtail_requests_total', { model: 'm', status: 'success' })).toBe(1);
      expect(m.get('llmtail_lines_invalid_total', { reason: 'too_long' })).toBe(0);
      expect(m.get('llmtail_read_bytes_total')).toBe(Buffer.byteLength(big) + Buffer.byteLength(line('after')));
    });

    it('counts every line of 100 files that appear under one glob, and a file never written to is watched without error', async () => {
      const logs = path.join(dir, 'logs');
      mkdirSync(logs);
      // Never written to: there before the sidecar starts, and for the whole test.
      const idle = path.join(logs, 'idle.jsonl');
      writeFileSync(idle, '');
      const cli = await sidecar(['--config', fastPoll(), '--input', path.join(logs, '*.jsonl')]);
      let expected = 0;
      for (let i = 0; i < 100; i++) {
        const n = 1 + (i % 7);
        let text = '';
        for (let j = 0; j < n; j++) text += line(`f${i}-${j}`, `model-${i % 5}`);
        writeFileSync(path.join(logs, `server-${String(i).padStart(3, '0')}.jsonl`), text);
        expected += n;
      }
      const m = await waitFor(cli, (x) => x.sum('llmtail_requests_total') === expected, `${expected} requests`);
      expect(m.get('llmtail_files_watched')).toBe(101);
      for (let k = 0; k < 5; k++) {
        let perModel = 0;
        for (let i = k; i < 100; i += 5) perModel += 1 + (i % 7);
        expect(m.get('llmtail_requests_total', { model: `model-${k}`, status: 'success' })).toBe(perModel);
      }
      expect(m.all('llmtail_file_lag_bytes')).toHaveLength(101);
      expect(m.get('llmtail_file_lag_bytes', { path: idle })).toBe(0);
      expect(m.get('llmtail_input_up', { input: 'file' })).toBe(1);
      await sleep(300);
      const later = await scrape(cli);
      expect(later.sum('llmtail_requests_total')).toBe(expected);
      expect(later.get('llmtail_files_watched')).toBe(101);
      // No warning or error about the idle file (or anything else).
      expect(cli.stderr()).not.toMatch(/"level":"(warn|error|fatal)"/);
    });

    it('a file that is never written to, alone: watched, up, no lag and no error', async () => {
      const log = path.join(dir, 'quiet.jsonl');
      writeFileSync(log, '');
      const cli = await sidecar(['--config', fastPoll(), '--input', log, '--state-dir', path.join(dir, 'state')]);
      await sleep(500);
      const m = await scrape(cli);
      expect(m.get('llmtail_files_watched')).toBe(1);
      expect(m.get('llmtail_file_lag_bytes', { path: log })).toBe(0);
      expect(m.get('llmtail_input_up', { input: 'file' })).toBe(1);
      expect(m.sum('llmtail_lines_total')).toBe(0);
      expect(m.get('llmtail_checkpoint_failures_total')).toBe(0);
      expect(cli.stderr()).not.toMatch(/"level":"(warn|error|fatal)"/);
      expect((await cli.stop('SIGTERM')).code).toBe(0);
    });

    // Two more behaviours the issue names, at the smallest scale that shows them.

    // The sidecar is paused (SIGSTOP) while the file changes, so it takes its next look only after
    // the whole change: what a busy or descheduled sidecar sees, made deterministic.
    const whilePaused = (cli: RunningCli, change: () => void): void => {
      cli.proc.kill('SIGSTOP');
      try {
        change();
      } finally {
        cli.proc.kill('SIGCONT');
      }
    };

    it('a file truncated and regrown past the read offset between two looks is read again from 0, once (issue: Identity)', async () => {
      const log = path.join(dir, 'app.jsonl');
      writeFileSync(log, '');
      const cfg = config(['tail:', '  poll_interval_ms: 500', ''].join('\n'));
      const cli = await sidecar(['--config', cfg, '--input', log]);
      let first = '';
      for (let i = 0; i < 10; i++) first += line(`a${i}`, 'before');
      appendFileSync(log, first);
      await waitFor(cli, (m) => m.sum('llmtail_requests_total') === 10, 'the first 10 lines');
      // copytruncate, then the server writes 20 lines before the tailer looks again: the file is
      // longer than our offset, but its first bytes are not the ones we fingerprinted.
      let second = '';
      for (let i = 0; i < 20; i++) second += line(`b${i}`, 'after');
      whilePaused(cli, () => writeFileSync(log, second));
      // Past a few reconciles (the poll interval), when fingerprints are compared.
      await sleep(2000);
      const m = await waitFor(cli, (x) => x.sum('llmtail_file_lag_bytes') === 0, 'the file to be read');
      expect(m.get('llmtail_requests_total', { model: 'before', status: 'success' })).toBe(10);
      expect(m.get('llmtail_requests_total', { model: 'after', status: 'success' })).toBe(20);
      expect(m.sum('llmtail_lines_invalid_total')).toBe(0);
      expect(m.get('llmtail_file_truncations_total')).toBe(1);
      expect(m.get('llmtail_read_bytes_total')).toBe(Buffer.byteLength(first) + Buffer.byteLength(second));
    });

    it('a rotated file is read to its end even when its backlog outlasts rotate_wait (issue: rename + create)', async () => {
      const log = path.join(dir, 'app.jsonl');
      writeFileSync(log, '');
      // rotate_wait 0: no grace for lines written after the rename, but every line written before
      // it must still be read. Small reads and a small read budget make the backlog take many turns.
      const cfg = config(['tail:', '  poll_interval_ms: 100', '  rotate_wait_ms: 0', '  read_chunk_bytes: 16384', '  read_budget_bytes: 65536', ''].join('\n'));
      const cli = await sidecar(['--config', cfg, '--input', log]);
      appendFileSync(log, line('r-first'));
      await waitFor(cli, (m) => m.sum('llmtail_requests_total') === 1, 'the first line');
      const n = 8000;
      let text = '';
      for (let i = 0; i < n; i++) text += line(`r${i}`);
      expect(Buffer.byteLength(text)).toBeGreaterThan(8 * 65536);
      whilePaused(cli, () => {
        appendFileSync(log, text);
        renameSync(log, `${log}.1`);
        appendFileSync(log, line('new'));
      });
      const m = await waitFor(cli, (x) => x.get('llmtail_files_draining') === 0 && x.sum('llmtail_requests_total') >= 2, 'the rotated file to be closed');
      await sleep(500);
      const after = await scrape(cli);
      expect(after.sum('llmtail_requests_total')).toBe(n + 2);
      expect(after.get('llmtail_file_bytes_lost_total')).toBe(0);
      expect(after.get('llmtail_file_rotations_total')).toBe(1);
      expect(m.get('llmtail_files_watched')).toBe(1);
    });
  });
});
