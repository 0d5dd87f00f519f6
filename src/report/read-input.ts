import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { LineSplitter } from '../sources/line-splitter.js';
import { readAhead, readBuffers } from '../sources/read-ahead.js';

const CHUNK_BYTES = 1 << 20;

/** True when the bytes start with the gzip magic number (1f 8b), whatever the file is called. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Push one input through the pipeline to its end, streaming: a plain file through the same
 * read-ahead reader as `replay`, a gzip file (or gzip on stdin) through zlib's gunzip into the
 * line splitter. `-` is stdin. `onBytes` hears of every byte read from storage (compressed bytes
 * for gzip), for the progress bar. Returns whether the input was gzip.
 */
export async function readInput(path: string, pipeline: Pipeline, onBytes: (n: number) => void): Promise<{ gzip: boolean }> {
  const splitter = pipeline.splitter();
  if (path === '-') return readStream(process.stdin, splitter, onBytes);
  const handle = await open(path, 'r');
  let gzip: boolean;
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    gzip = isGzip(head.subarray(0, bytesRead));
    if (!gzip) {
      await readAhead(handle, 0, readBuffers(CHUNK_BYTES), (chunk) => {
        onBytes(chunk.length);
        splitter.push(chunk);
      });
      splitter.flush();
      return { gzip };
    }
  } finally {
    await handle.close();
  }
  return readStream(createReadStream(path, { highWaterMark: CHUNK_BYTES }), splitter, onBytes);
}

/** A byte stream to its end, gunzipped when its first two bytes say gzip. */
async function readStream(source: Readable, splitter: LineSplitter, onBytes: (n: number) => void): Promise<{ gzip: boolean }> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  while (head.length < 2) {
    const next = await chunks.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    onBytes(next.value.length);
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (ended) return;
    for (;;) {
      const next = await chunks.next();
      if (next.done === true) return;
      onBytes(next.value.length);
      yield next.value;
    }
  }
  const gzip = isGzip(head);
  const sink = async (stream: AsyncIterable<Buffer>) => {
    for await (const chunk of stream) splitter.push(chunk);
  };
  if (gzip) await streamPipeline(all(), createGunzip(), sink);
  else await sink(all());
  splitter.flush();
  return { gzip };
}
