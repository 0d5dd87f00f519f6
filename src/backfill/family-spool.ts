import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

const FLUSH_CHARS = 1 << 16;

/**
 * OpenMetrics wants each family in one piece (families not interleaved, each series' samples in
 * time order), but steps come one after another across all families. Each family's text is
 * appended to its own file in a private temporary directory, and `copyTo` writes them out one after
 * the other. Memory stays bounded by one buffer per family, whatever the length of the log; the
 * disk needs the output's size twice while it runs. Writes are synchronous because steps are
 * emitted from inside the (synchronous) line callback.
 */
export class FamilySpool {
  private readonly dir: string;
  private readonly fds: (number | undefined)[] = [];
  private readonly buffers: string[] = [];

  constructor(parentDir: string) {
    this.dir = mkdtempSync(join(parentDir, '.llmtail-backfill-'));
  }

  append(family: number, text: string): void {
    if (text === '') return;
    const buffered = (this.buffers[family] ?? '') + text;
    if (buffered.length < FLUSH_CHARS) {
      this.buffers[family] = buffered;
      return;
    }
    this.buffers[family] = '';
    writeSync((this.fds[family] ??= openSync(join(this.dir, String(family)), 'w')), buffered);
  }

  /** Every family that got text, in index order: `header(family)` then its text. Closes the files. */
  async copyTo(out: Writable, header: (family: number) => string): Promise<void> {
    for (let family = 0; family < Math.max(this.fds.length, this.buffers.length); family++) {
      const fd = this.fds[family];
      const rest = this.buffers[family] ?? '';
      if (fd === undefined && rest === '') continue;
      if (!out.write(header(family))) await once(out, 'drain');
      if (fd !== undefined) {
        closeSync(fd);
        this.fds[family] = undefined;
        for await (const chunk of createReadStream(join(this.dir, String(family)))) {
          if (!out.write(chunk)) await once(out, 'drain');
        }
      }
      if (!out.write(rest)) await once(out, 'drain');
    }
  }

  /** Remove the temporary files (also after an error). */
  dispose(): void {
    for (const fd of this.fds) if (fd !== undefined) closeSync(fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
