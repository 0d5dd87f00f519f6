import type { Config } from '../../config/schema.js';
import { replayFile } from '../../sources/file-replay.js';
import type { LineSink } from '../../sources/line-splitter.js';
import { StreamSource } from '../../sources/stream-source.js';

/**
 * The configuration for reading finished files (`replay`, `backfill`): only the named files, no
 * HTTP ingest. Old lines must not page anyone or cost model calls: no summarizer, no Alertmanager.
 */
export function offlineConfig(config: Config): Config {
  return {
    ...config,
    inputs: [],
    web: { ...config.web, enable_ingest: false, enable_otlp: false },
    summarizer: { ...config.summarizer, base_url: '' },
    alertmanager: { ...config.alertmanager, url: '' },
  };
}

/** Each file to its end, in order (`-` is stdin). An unreadable file is an error naming it. */
export async function readInputs(files: readonly string[], sink: LineSink): Promise<void> {
  for (const file of files) {
    if (file === '-') {
      const stdin = StreamSource.stdin(sink);
      await stdin.start();
      await stdin.done;
      continue;
    }
    try {
      await replayFile(file, sink);
    } catch (err) {
      // Name the file for I/O errors (ENOENT, EACCES); anything else is not about reading it.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === undefined) throw err;
      throw new Error(`cannot read ${file}: ${code}`);
    }
  }
}
