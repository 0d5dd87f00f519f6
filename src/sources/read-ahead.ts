import type { FileHandle } from 'node:fs/promises';

/**
 * Reads a file from `start` to its current end in `chunkBytes` chunks, handing each to `onChunk`,
 * with the next read already in flight while the current chunk is processed, so decoding overlaps
 * the I/O instead of waiting for it. Stops early (before issuing another read) once `shouldYield`
 * says so, letting a caller bound how long one call keeps the event loop. Returns the offset after
 * the last byte handed over. The two buffers are the caller's, reused across calls; chunks handed
 * to `onChunk` are views into them, valid only during the call.
 */
export async function readAhead(
  handle: FileHandle,
  start: number,
  buffers: ReadBuffers,
  onChunk: (chunk: Buffer) => void,
  shouldYield: (bytesSoFar: number) => boolean = () => false,
): Promise<number> {
  const chunkBytes = buffers[0].length;
  let offset = start;
  let which = 0;
  let total = 0;
  let pending = handle.read(buffers[0], 0, chunkBytes, offset);
  for (;;) {
    const { bytesRead, buffer } = await pending;
    if (bytesRead === 0) return offset;
    offset += bytesRead;
    total += bytesRead;
    const stop = shouldYield(total);
    if (!stop) {
      which ^= 1;
      pending = handle.read(buffers[which as 0 | 1], 0, chunkBytes, offset);
    }
    try {
      onChunk(buffer.subarray(0, bytesRead));
    } catch (err) {
      // The read in flight is abandoned: keep its failure (EBADF once the file closes) handled.
      if (!stop) pending.catch(() => undefined);
      throw err;
    }
    if (stop) return offset;
  }
}

/** The pair of read buffers readAhead alternates between. */
export type ReadBuffers = readonly [Buffer, Buffer];

export function readBuffers(chunkBytes: number): ReadBuffers {
  return [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
}
