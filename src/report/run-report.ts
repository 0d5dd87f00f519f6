import { stat } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { decoderOptions } from '../events/decoder-options.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { ReportAggregate } from './aggregate.js';
import { ProgressBar, type ProgressMode, type ProgressStream } from './progress.js';
import { fmtCount } from './format/units.js';
import { readInput, type InputRead } from './read-input.js';
import { buildReport, type Report, type ReportInput } from './report-data.js';

/** Default cap on exact values held (8 bytes each: 256 MiB), past which percentiles use sketches. */
export const DEFAULT_EXACT_VALUE_LIMIT = 32 * 1024 * 1024;

export interface ReportRunOptions {
  /** Paths, `-` for stdin. */
  inputs: readonly string[];
  config: Config;
  exactValueLimit: number;
  progress: ProgressMode;
  progressStream: ProgressStream;
  generator: string;
}

/** Read every input through the pipeline into a report aggregate, and build the report. */
export async function runReport(options: ReportRunOptions): Promise<Report> {
  const { config } = options;
  // Every file is looked at before any is read: a typo in the last one fails at once.
  // Only a regular file has a size to measure progress against: stdin, a pipe or a FIFO has none.
  const sizes = await Promise.all(options.inputs.map(async (p) => (p === '-' ? undefined : await statInput(p))));
  const aggregate = new ReportAggregate({
    exactValueLimit: options.exactValueLimit,
    maxModels: config.labels.max_values,
    maxModelNameLength: config.labels.max_value_length,
    anomaly: config.anomaly.enabled ? config.anomaly : undefined,
  });
  const pipeline = new Pipeline(decoderOptions(config), [aggregate], config.lines.max_bytes);
  const totalBytes = sizes.includes(undefined) ? undefined : sizes.reduce<number>((a, b) => a + (b ?? 0), 0);
  const progress = new ProgressBar(options.progressStream, { mode: options.progress, totalBytes, lines: () => pipeline.stats.total() });
  const inputs: ReportInput[] = [];
  progress.start();
  try {
    for (const [i, path] of options.inputs.entries()) {
      const name = path === '-' ? 'stdin' : path;
      progress.input(`${options.inputs.length > 1 ? `${i + 1}/${options.inputs.length} ` : ''}${name}`);
      const linesBefore = pipeline.stats.total();
      let read: InputRead;
      try {
        read = await readInput(path, pipeline, (n) => progress.addBytes(n));
      } catch (err) {
        throw new Error(`cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      let warning: string | null = null;
      if (read.damage !== null) {
        const lines = pipeline.stats.total() - linesBefore;
        const what = read.damage === 'truncated' ? 'truncated gzip stream' : 'corrupt gzip stream';
        // Nothing readable is an error; some lines are a report of them, with a warning.
        if (lines === 0) throw new Error(`cannot read ${name}: ${what} (no complete line before the ${read.damage === 'truncated' ? 'cut' : 'damage'})`);
        warning = `${name}: ${what} (${fmtCount(lines)} lines read before the ${read.damage === 'truncated' ? 'cut' : 'damage'}); the report covers only those lines`;
      }
      inputs.push({ path, bytes: read.bytes, gzip: read.gzip, warning });
    }
  } finally {
    progress.stop();
  }
  aggregate.finish();
  return buildReport(aggregate, pipeline.stats, { generator: options.generator, inputs, exactValueLimit: options.exactValueLimit });
}

/** The size of a regular file; undefined for a FIFO, a device or another file that has none. */
async function statInput(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return s.isFile() ? s.size : undefined;
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
