import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { LineSplitter } from '../sources/line-splitter.js';
import { readAhead, readBuffers } from '../sources/read-ahead.js';

const CHUNK_BYTES = 1 << 20;
/** Names of this process's stdin. */
const STDIN_PATHS = new Set(['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

/** True when the bytes start with the gzip magic number (1f 8b), whatever the file is called. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** How a gzip stream was damaged: it ended before its end (a partial copy), or its data is wrong. */
export type GzipDamage = 'truncated' | 'corrupt';

export interface InputRead {
  gzip: boolean;
  /** Bytes of a regular file as stored (compressed for gzip); null for stdin, a pipe, a FIFO, a device. */
  bytes: number | null;
  /**
   * Set when a gzip stream was cut short or corrupt: every line before the damage went through the
   * pipeline, the partial line at the cut did not. Null when the input was read to its end.
   */
  damage: GzipDamage | null;
}

/**
 * Push one input through the pipeline to its end, streaming: a regular file through the same
 * read-ahead reader as `replay`; a gzip file, stdin (`-`) or anything that is not a regular file
 * (a pipe, a FIFO, `<(…)`, `/dev/stdin`, a device: no positional reads, no size) as a stream,
 * gunzipped when its first bytes say gzip. `onBytes` hears of every byte read from storage
 * (compressed bytes for gzip), for the progress bar.
 */
export async function readInput(path: string, pipeline: Pipeline, onBytes: (n: number) => void): Promise<InputRead> {
  const splitter = pipeline.splitter();
  if (path === '-') return { ...(await readStream(process.stdin, splitter, onBytes)), bytes: null };
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    // A socket cannot be reopened through /dev/stdin (ENXIO): read the stdin this process has.
    if ((err as NodeJS.ErrnoException).code === 'ENXIO' && STDIN_PATHS.has(path)) return { ...(await readStream(process.stdin, splitter, onBytes)), bytes: null };
    throw err;
  }
  // Once a stream owns the handle, the stream closes it (readStream destroys it, whatever happens).
  let owned = false;
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      owned = true;
      return { ...(await readStream(handle.createReadStream({ highWaterMark: CHUNK_BYTES }), splitter, onBytes)), bytes: null };
    }
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    if (isGzip(head.subarray(0, bytesRead))) {
      owned = true;
      return { ...(await readStream(handle.createReadStream({ start: 0, highWaterMark: CHUNK_BYTES }), splitter, onBytes)), bytes: info.size };
    }
    await readAhead(handle, 0, readBuffers(CHUNK_BYTES), (chunk) => {
      onBytes(chunk.length);
      splitter.push(chunk);
    });
    splitter.flush();
    return { gzip: false, bytes: info.size, damage: null };
  } finally {
    if (!owned) await handle.close();
  }
}

/**
 * A byte stream to its end, gunzipped when its first two bytes say gzip. The source is always
 * released (its iterator returned, the stream destroyed, so a file's descriptor is closed), also
 * when gunzip or the source fails. A gzip stream that is cut short or corrupt is not an error
 * here: the lines before the damage have been read, and the damage is returned.
 */
async function readStream(source: Readable, splitter: LineSplitter, onBytes: (n: number) => void): Promise<Omit<InputRead, 'bytes'>> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
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
    const rest = async function* (): AsyncGenerator<Buffer> {
      if (head.length > 0) yield head;
      if (ended) return;
      for (;;) {
        const next = await chunks.next();
        if (next.done === true) return;
        onBytes(next.value.length);
        yield next.value;
      }
    };
    const sink = async (stream: AsyncIterable<Buffer>) => {
      for await (const chunk of stream) splitter.push(chunk);
    };
    const gzip = isGzip(head);
    if (gzip) {
      try {
        await streamPipeline(rest(), createGunzip(), sink);
      } catch (err) {
        const damage = gzipDamage(err);
        if (damage === undefined) throw err;
        // The partial line at the cut is dropped, not flushed as a (broken) line.
        return { gzip, damage };
      }
    } else {
      await sink(rest());
    }
    splitter.flush();
    return { gzip, damage: null };
  } finally {
    try {
      await chunks.return?.();
    } catch {
      // Already failed; destroying it below is all that is left to do.
    }
    source.destroy();
  }
}

/** zlib's errors for input that ends early (Z_BUF_ERROR, "unexpected end of file") or is not valid deflate data. */
function gzipDamage(err: unknown): GzipDamage | undefined {
  const { code, message } = err as NodeJS.ErrnoException;
  if (code === 'Z_BUF_ERROR' || message === 'unexpected end of file') return 'truncated';
  if (code === 'Z_DATA_ERROR' || code === 'Z_STREAM_ERROR') return 'corrupt';
  return undefined;
}
