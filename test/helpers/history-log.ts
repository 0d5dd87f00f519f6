/**
 * A historical request log with known contents (backfill, event time): steady traffic, a fixed
 * share of errors and optionally one burst of them, in the flat shape (ISO timestamps,
 * milliseconds). No randomness: the tests count the lines up to any time from the returned list
 * itself.
 */
export interface HistoryLine {
  /** Event time, epoch seconds (whole milliseconds). */
  time: number;
  text: string;
  error: boolean;
  /** Written inside the burst (by its place in the log, whatever its stamp). */
  inBurst: boolean;
}

export interface HistoryOptions {
  startSeconds: number;
  lines: number;
  /** Seconds between two lines on average (each line is jittered within its slot). */
  everySeconds: number;
  /** Every Nth line outside the burst is an error (100: 1 %). */
  errorEvery: number;
  /** Every other line in [fromSeconds, fromSeconds + seconds) is an error. */
  burst?: { fromSeconds: number; seconds: number };
  /** Models, taken in turn (default two Qwen models). */
  models?: readonly string[];
  /** Lines stamped up to this many seconds before their place in the log, as several workers write (default 0: in order). */
  lateSeconds?: number;
}

const MODELS = ['Qwen/Qwen2.5-7B-Instruct', 'Qwen/Qwen2.5-14B-Instruct'];

export function historyLog(o: HistoryOptions): HistoryLine[] {
  const out: HistoryLine[] = [];
  for (let i = 0; i < o.lines; i++) {
    // A fixed, uneven jitter (0..90 % of a slot) so lines fall at all offsets within a step.
    const slot = Math.round((o.startSeconds + (i + ((i * 7919) % 900) / 1000) * o.everySeconds) * 1000) / 1000;
    const time = Math.round((slot - (((i * 104_729) % 1000) / 1000) * (o.lateSeconds ?? 0)) * 1000) / 1000;
    const inBurst = o.burst !== undefined && slot >= o.burst.fromSeconds && slot < o.burst.fromSeconds + o.burst.seconds;
    const error = inBurst ? i % 2 === 0 : i % o.errorEvery === o.errorEvery - 1;
    out.push({ time, error, inBurst, text: line(i, time, error, o.models ?? MODELS) });
  }
  return out;
}

export function line(i: number, time: number, error: boolean, models: readonly string[] = MODELS): string {
  const total = 200 + ((i * 37) % 4000);
  return JSON.stringify({
    timestamp: new Date(time * 1000).toISOString(),
    request_id: `req_${i}`,
    model: models[i % models.length],
    input_tokens: 100 + (i % 900),
    output_tokens: error ? 0 : 20 + (i % 300),
    total_time_ms: total,
    ttft_ms: error ? undefined : 20 + (i % 200),
    status: error ? 'error' : 'success',
    error_type: error ? 'oom' : undefined,
    error: error ? 'CUDA out of memory. Tried to allocate 2.00 GiB' : undefined,
  });
}
