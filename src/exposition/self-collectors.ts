import { INVALID_REASONS, LINE_RESULTS, LINE_WARNINGS, type LineStats } from '../pipeline/line-stats.js';
import type { FileTailer } from '../sources/file-tailer.js';
import type { Source } from '../sources/source.js';
import { VERSION } from '../version.js';
import { single, type Collector } from './registry.js';

/** The sidecar's own health: what happened to every line, and its inputs. */
export function selfCollectors(stats: LineStats, sources: () => readonly Source[]): Collector[] {
  return [
    {
      name: 'llmtail_build_info',
      help: 'Build information; always 1.',
      type: 'gauge',
      collect: () => [{ value: 1, labels: { version: VERSION, nodejs_version: process.versions.node } }],
    },
    {
      name: 'llmtail_lines_total',
      help: 'Log lines read, by result: ok (counted as a request), invalid (see llmtail_lines_invalid_total), unmapped (valid JSON but not a request), empty.',
      type: 'counter',
      collect: () => LINE_RESULTS.map((result, i) => ({ value: stats.results[i] as number, labels: { result } })),
    },
    {
      name: 'llmtail_lines_invalid_total',
      help: 'Lines discarded as invalid, by reason.',
      type: 'counter',
      collect: () => INVALID_REASONS.map((reason, i) => ({ value: stats.invalid[i] as number, labels: { reason } })),
    },
    {
      name: 'llmtail_line_warnings_total',
      help: 'Lines counted after a repair, by what was repaired (bom: a UTF-8 byte order mark was stripped; invalid_utf8: bad bytes became U+FFFD).',
      type: 'counter',
      collect: () => LINE_WARNINGS.map((reason, i) => ({ value: stats.warnings[i] as number, labels: { reason } })),
    },
    {
      name: 'llmtail_field_errors_total',
      help: 'Fields dropped from counted requests because their value was unusable, by field and reason.',
      type: 'counter',
      collect: () => [...stats.fieldProblemEntries()].map(([field, reason, value]) => ({ value, labels: { field, reason } })),
    },
    {
      name: 'llmtail_internal_errors_total',
      help: 'Events a consumer failed on (a bug in llmtail: the event is still counted by the others). Should stay 0.',
      type: 'counter',
      collect: () => single(stats.consumerErrors),
    },
    {
      name: 'llmtail_read_bytes_total',
      help: 'Bytes read from all inputs.',
      type: 'counter',
      collect: () => single(stats.bytesRead),
    },
    {
      name: 'llmtail_input_up',
      help: 'Whether each configured input is open and delivering lines (1) or not (0).',
      type: 'gauge',
      collect: () => sources().map((s) => ({ value: s.status().ready ? 1 : 0, labels: { input: s.kind } })),
    },
  ];
}

/** File-input health: how many files are followed, and the rotations and truncations seen. */
export function tailerCollectors(tailer: FileTailer): Collector[] {
  return [
    {
      name: 'llmtail_files_watched',
      help: 'Files currently followed.',
      type: 'gauge',
      collect: () => single(tailer.fileCount),
    },
    {
      name: 'llmtail_file_rotations_total',
      help: 'Times a followed path was replaced by a new file (rename or delete and recreate).',
      type: 'counter',
      collect: () => single(tailer.rotations),
    },
    {
      name: 'llmtail_file_truncations_total',
      help: 'Times a followed file shrank below the read offset (copytruncate) or was rewritten in place, and was read again from the start.',
      type: 'counter',
      collect: () => single(tailer.truncations),
    },
    {
      name: 'llmtail_file_bytes_lost_total',
      help: 'Bytes known to have been in a file that could not be read: truncation racing the reader, or a line left unfinished in a rotated file.',
      type: 'counter',
      collect: () => single(tailer.bytesLost),
    },
    {
      name: 'llmtail_files_draining',
      help: 'Rotated or deleted files still being read for late lines (for tail.rotate_wait_ms).',
      type: 'gauge',
      collect: () => single(tailer.drainingCount),
    },
    {
      name: 'llmtail_files_unreadable',
      help: 'Input files or directories that exist but cannot be read (permission denied), as of the last look; their lines are counted once they can be read.',
      type: 'gauge',
      collect: () => single(tailer.unreadableCount),
    },
    {
      name: 'llmtail_file_lag_bytes',
      help: 'Bytes known to be in a followed file but not yet counted (size at the last look minus the read offset), by path.',
      type: 'gauge',
      collect: () => tailer.lag().map((l) => ({ value: l.bytes, labels: { path: l.path } })),
    },
  ];
}
