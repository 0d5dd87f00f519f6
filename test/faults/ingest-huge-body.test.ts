import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { counts, memoryOf, requestLine } from '../helpers/faults.js';

/**
 * A client streams a 1 GB body to POST /ingest, chunked and with Content-Length. The body is
 * generated as it is sent (one 64 KiB chunk of valid JSON lines, over and over), so the test
 * allocates no gigabyte; the sidecar must not buffer it either.
 */

const GiB = 2 ** 30;
const MiB = 2 ** 20;

let dir: string;
let cli: RunningCli;
let chunk: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-fault-ingest-'));
  cli = await startCli(['run', '--web.listen-address', '127.0.0.1:0', '--web.enable-ingest', '--state-dir', path.join(dir, 'state')]);
  let text = '';
  for (let i = 0; text.length < 64 * 1024; i++) text += requestLine(i);
  chunk = Buffer.from(text);
});

afterAll(async () => {
  if (cli.proc.exitCode === null && cli.proc.signalCode === null) await cli.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Body bytes handed to the socket when the answer's headers arrived (sending stops then). */
  sent: number;
  /** The server closed the connection after answering (we never had to). */
  closedByServer: boolean;
}

/**
 * Stream `total` bytes of JSON lines, stop sending as soon as the answer arrives, then wait (up to
 * 10 s) for the server to close the connection.
 */
function sendHuge(url: string, total: number, withLength: boolean): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let sentAtAnswer = -1;
    let weClosed = false;
    let answered: Omit<Outcome, 'sent' | 'closedByServer'> | undefined;
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
    if (withLength) headers['content-length'] = String(total);
    const req = request(url, { method: 'POST', agent: false, headers, timeout: 120_000 });
    req.on('response', (res) => {
      sentAtAnswer = sent;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        answered = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() };
        const socket = req.socket;
        const done = () => resolve({ ...(answered as NonNullable<typeof answered>), sent: sentAtAnswer, closedByServer: !weClosed });
        if (socket === null || socket.destroyed) return done();
        const timer = setTimeout(() => {
          weClosed = true;
          req.destroy();
        }, 10_000);
        socket.once('close', () => {
          clearTimeout(timer);
          done();
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 120 s')));
    // After the answer, the server's close may surface as EPIPE/ECONNRESET: expected then.
    req.on('error', (err) => (sentAtAnswer < 0 ? reject(new Error(`no answer, ${sent} bytes sent: ${err.message}`)) : undefined));
    const pump = () => {
      while (sent < total && sentAtAnswer < 0 && !req.destroyed) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      if (sent >= total && !req.destroyed) req.end();
    };
    pump();
  });
}

describe('a 1 GB body sent to /ingest', () => {
  it.each([
    ['chunked', false],
    ['with Content-Length', true],
  ])('%s: 413 before the body is read, connection closed, nothing counted, memory bounded, ingest still works', async (_how, withLength) => {
    const pid = cli.proc.pid as number;
    const before = await counts(cli);
    const memBefore = memoryOf(pid);

    const huge = await sendHuge(cli.url('/ingest'), GiB, withLength);
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body)).toMatchObject({ error: 'payload_too_large', accepted: 0 });
    expect(huge.headers.connection).toBe('close');
    // Answered long before the gigabyte was sent, and the server ended the connection.
    expect(huge.sent).toBeLessThan(GiB / 4);
    expect(huge.closedByServer).toBe(true);

    // Nothing from it counted; RSS never came near the body's size (peak, from /proc).
    expect(await counts(cli)).toEqual(before);
    const memAfter = memoryOf(pid);
    expect(memAfter.peak - memBefore.rss).toBeLessThan(200 * MiB);

    // The next client is served normally.
    const ok = await fetch(cli.url('/ingest'), { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `${requestLine(1)}${requestLine(2)}${requestLine(3)}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ accepted: 3, invalid: 0, durable: true });
    expect(await counts(cli)).toEqual({ lines: before.lines + 3, ok: before.ok + 3, requests: before.requests + 3 });
    console.info(`1 GB body (${_how}): 413 after ${Math.round(huge.sent / MiB)} MiB sent; RSS ${Math.round(memBefore.rss / MiB)} MiB before, peak ${Math.round(memAfter.peak / MiB)} MiB`);
  }, 120_000);
});
