import { open } from 'node:fs/promises';
import type { LineSink } from './line-splitter.js';
import { readAhead, readBuffers } from './read-ahead.js';

/**
 * Pushes a whole file through the pipeline (`replay`, benchmarks). The file is complete, so a last
 * line without newline is counted. Errors opening it (ENOENT, EACCES) are thrown to the caller.
 */
export async function replayFile(path: string, sink: LineSink, chunkBytes = 1 << 20): Promise<void> {
  const handle = await open(path, 'r');
  try {
    const splitter = sink.splitter();
    await readAhead(handle, 0, readBuffers(chunkBytes), (chunk) => {
      splitter.push(chunk);
    });
    splitter.flush();
  } finally {
    await handle.close();
  }
}
