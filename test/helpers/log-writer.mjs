// A log writer run as its own process (see writer-process.ts): appends fixed-length JSONL request
// lines to a file at full speed and rotates the file on a schedule, the way a real server and
// logrotate would. Plain JavaScript so it starts with any `node` and needs no build.
//
// argv[2] is a JSON plan:
//   file        path to write (reopened by path after a rename or delete, like a logger on SIGHUP)
//   lines       how many lines to write in all
//   lineBytes   every line is exactly this many bytes, newline included
//   seed        content and batch sizes derive from it
//   maxBatch    lines per write() are drawn from 1..maxBatch
//   malformedEvery  every Nth line (N > 0) is invalid JSON of the same length; 0: none
//   events      [{ at, action, late, settleMs, gate, notify }], done before line `at` is written:
//     rename        file -> file.N (N counts renames from 1); with `notify`, report 'renamed' and wait
//                   for 'go' before anything else; then `late` lines to the old fd; then reopen.
//     delete        unlink the file; `late` lines to the old fd; then reopen.
//     copytruncate  wait `settleMs` (no writes), copy file -> file.cN, truncate file to 0 and keep
//                   appending through the same O_APPEND fd.
//     pause         report 'paused' and wait for 'go' (a point where the test acts, e.g. kills).
//   With `gate`, the writer first reports 'gate' (with the lines written to earlier files) and
//   waits for 'go': the test holds a rotation until the tailer has seen the current file.
//
// Messages to the parent (IPC): {type:'gate'|'renamed'|'paused', at, action, linesBefore,
// written} and at the end {type:'done', written, bytes, files: [{path, lines}]} in write order.
import { closeSync, copyFileSync, openSync, renameSync, truncateSync, unlinkSync, writeSync } from 'node:fs';

const plan = JSON.parse(process.argv[2]);
const { file, lines, lineBytes, seed, maxBatch } = plan;
const malformedEvery = plan.malformedEvery ?? 0;
const events = [...(plan.events ?? [])].sort((a, b) => a.at - b.at);

/** mulberry32: a small seeded PRNG. */
function rng(s) {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = ['llama-3-8b', 'qwen-7b', 'mistral-7b'];
const STATUSES = ['success', 'success', 'success', 'success', 'success', 'success', 'error', 'timeout'];
const START_MS = Date.UTC(2025, 0, 1);

/** Line `i` (0-based), exactly lineBytes long with its newline; depends only on seed and i. */
function makeLine(i) {
  const r = rng((seed * 1_000_003 + i) >>> 0);
  let body;
  if (malformedEvery > 0 && (i + 1) % malformedEvery === 0) {
    body = `{"request_id":"w${i}","model":"broken","pad":"`;
  } else {
    const status = STATUSES[Math.floor(r() * STATUSES.length)];
    const total = Math.round(r() * 40_000) / 8; // ms, with fractions: exercises float sums
    const queue = Math.round(r() * total * 100) / 1000;
    const fields = [
      `"timestamp":"${new Date(START_MS + i * 10).toISOString()}"`,
      `"request_id":"w${i}"`,
      `"model":"${MODELS[Math.floor(r() * MODELS.length)]}"`,
      `"status":"${status}"`,
      `"input_tokens":${Math.floor(r() * 4000)}`,
      `"output_tokens":${Math.floor(r() * 1000)}`,
      `"total_time_ms":${total}`,
      `"queue_time_ms":${queue}`,
      `"inference_time_ms":${Math.round((total - queue) * 1000) / 1000}`,
    ];
    if (status === 'error') fields.push(`"error_type":"${r() < 0.5 ? 'oom' : 'overloaded'}"`);
    body = `{${fields.join(',')},"pad":"`;
  }
  const tail = malformedEvery > 0 && (i + 1) % malformedEvery === 0 ? '' : '"}';
  const pad = lineBytes - 1 - body.length - tail.length;
  if (pad < 0) throw new Error(`line ${i} does not fit in ${lineBytes} bytes`);
  return `${body}${'x'.repeat(pad)}${tail}\n`;
}

let waiting;
process.on('message', (m) => {
  if (m && m.type === 'go' && waiting !== undefined) {
    const w = waiting;
    waiting = undefined;
    w();
  }
});
function ask(message) {
  return new Promise((resolve) => {
    waiting = resolve;
    process.send(message);
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const batchRng = rng(seed ^ 0x5bd1e995);
let fd = openSync(file, 'a');
let written = 0;
let bytes = 0;
/** Lines in the file the fd leads to now, and in the files before it (write order). */
const files = [];
let current = { path: file, lines: 0 };
let renames = 0;
let copies = 0;

function writeLines(toFd, n, into) {
  let done = 0;
  while (done < n) {
    const k = Math.min(n - done, 1 + Math.floor(batchRng() * maxBatch));
    let chunk = '';
    for (let j = 0; j < k; j++) chunk += makeLine(written + j);
    const buf = Buffer.from(chunk);
    let off = 0;
    while (off < buf.length) off += writeSync(toFd, buf, off, buf.length - off);
    written += k;
    bytes += buf.length;
    into.lines += k;
    done += k;
  }
}

const linesBefore = () => files.reduce((a, f) => a + f.lines, 0);

let next = 0;
while (written < lines) {
  while (next < events.length && events[next].at <= written) {
    const ev = events[next++];
    if (ev.gate) await ask({ type: 'gate', at: written, action: ev.action, linesBefore: linesBefore(), written });
    if (ev.action === 'rename') {
      renames++;
      const to = `${file}.${renames}`;
      renameSync(file, to);
      current.path = to;
      if (ev.notify) await ask({ type: 'renamed', at: written, action: ev.action, linesBefore: linesBefore(), written });
      writeLines(fd, ev.late ?? 0, current);
      closeSync(fd);
      files.push(current);
      current = { path: file, lines: 0 };
      fd = openSync(file, 'a');
    } else if (ev.action === 'delete') {
      unlinkSync(file);
      current.path = `${file} (deleted)`;
      writeLines(fd, ev.late ?? 0, current);
      closeSync(fd);
      files.push(current);
      current = { path: file, lines: 0 };
      fd = openSync(file, 'a');
    } else if (ev.action === 'copytruncate') {
      copies++;
      await sleep(ev.settleMs ?? 0);
      copyFileSync(file, `${file}.c${copies}`);
      truncateSync(file, 0);
    } else if (ev.action === 'pause') {
      await ask({ type: 'paused', at: written, action: ev.action, linesBefore: linesBefore(), written });
    } else {
      throw new Error(`unknown action ${ev.action}`);
    }
  }
  const until = next < events.length ? Math.min(lines, events[next].at) : lines;
  // A few thousand lines per turn, so IPC messages still get a chance on the event loop.
  writeLines(fd, Math.min(until - written, 4096), current);
  await new Promise((r) => setImmediate(r));
}
closeSync(fd);
files.push(current);
process.send({ type: 'done', written, bytes, files }, () => process.exit(0));
