import type { Rng } from './random.js';

/**
 * Lines that are not requests, the way they turn up in real logs: a line cut short by a crash or
 * a rotation, JSON that is not an object, a stray traceback or access-log line, blank lines. The
 * reason is the LineStats outcome the decoder must count: `invalid{reason=json_syntax|not_object}`
 * or the `empty` result.
 */

export const MALFORMED_REASONS = ['json_syntax', 'not_object', 'empty'] as const;
export type MalformedReason = (typeof MALFORMED_REASONS)[number];

export interface MalformedLine {
  text: string;
  reason: MalformedReason;
}

const NOT_OBJECTS = ['[1,2]', '"x"', 'null', '42', 'true', '[{"request_id":"req_1"}]', '"Success"'] as const;
const GARBAGE = [
  'Traceback (most recent call last):',
  '  File "/usr/lib/python3.10/asyncio/runners.py", line 44, in run',
  'INFO:     10.0.3.17:53422 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
  'WARNING 04-05 10:23:45 scheduler.py:1089] Sequence group 12 is preempted by PreemptionMode.RECOMPUTE mode',
  '{"timestamp":"2025-04-05T10:23:45Z","request_id":"req_abc",,}',
  "{'request_id': 'req_abc', 'status': 'success'}",
  '}',
] as const;
const BLANK = ['', ' ', '\t', '  \t '] as const;
const FALLBACK_LINE = '{"timestamp":"2025-04-05T10:23:45Z","request_id":"req_abc123xyz","input_tokens":1240,"output_tokens":320,"total_time_ms":1876,"status":"success"}';

/**
 * One malformed line. `sample`, a real line of the stream, makes the truncated variant look like
 * the rest of the file; any proper prefix of a JSON object fails to parse.
 */
export function malformedLine(rng: Rng, sample: string = FALLBACK_LINE): MalformedLine {
  const r = rng.float();
  if (r < 0.4) {
    const base = sample.startsWith('{') && sample.length > 2 ? sample : FALLBACK_LINE;
    return { text: base.slice(0, rng.intBetween(1, base.length - 1)), reason: 'json_syntax' };
  }
  if (r < 0.6) return { text: rng.pick(GARBAGE), reason: 'json_syntax' };
  if (r < 0.8) return { text: rng.pick(NOT_OBJECTS), reason: 'not_object' };
  return { text: rng.pick(BLANK), reason: 'empty' };
}
