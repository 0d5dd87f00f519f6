import { Rng } from '../../src/simulator/random.js';

/**
 * A request log from the past, built so its truth is known without the code under test: steady
 * traffic at `rate` requests/s with `errorRate` failures for `hours`, and optionally one injected
 * burst (`burstErrorRate` of the requests failing for `burstSeconds`, from `burstAtSeconds` into
 * the log). Timestamps are the log's own (flat shape, ISO 8601), a little out of order like a
 * multi-worker server's; the same seed writes the same lines.
 */
export interface HistoricalLogOptions {
  startMs: number;
  hours: number;
  rate: number;
  errorRate: number;
  burst?: { atSeconds: number; seconds: number; errorRate: number };
  seed?: number;
  model?: string;
}

export interface HistoricalLog {
  lines: string[];
  /** Event time (ms) of each line, in file order. */
  times: number[];
  /** The first failed request inside the injected burst (ms). */
  firstBurstError: number | undefined;
}

export function historicalLog(o: HistoricalLogOptions): HistoricalLog {
  const rng = new Rng(o.seed ?? 7);
  const model = o.model ?? 'Qwen/Qwen2.5-7B-Instruct';
  const lines: string[] = [];
  const times: number[] = [];
  let firstBurstError: number | undefined;
  const end = o.startMs + o.hours * 3_600_000;
  let t = o.startMs;
  for (let i = 0; ; i++) {
    t += rng.exponential(1000 / o.rate);
    if (t >= end) break;
    const inBurst = o.burst !== undefined && t >= o.startMs + o.burst.atSeconds * 1000 && t < o.startMs + (o.burst.atSeconds + o.burst.seconds) * 1000;
    const failed = rng.chance(inBurst ? (o.burst?.errorRate ?? 0) : o.errorRate);
    if (failed && inBurst) firstBurstError ??= t;
    // Workers finish out of order: up to 2 s behind the line before.
    const stamp = Math.round(t - rng.range(0, 2000));
    times.push(stamp);
    lines.push(
      JSON.stringify({
        timestamp: new Date(stamp).toISOString(),
        request_id: `req-${i}`,
        model,
        input_tokens: rng.intBetween(20, 2000),
        output_tokens: failed ? 0 : rng.intBetween(1, 500),
        total_time_ms: rng.intBetween(80, 4000),
        status: failed ? 'error' : 'success',
        ...(failed
          ? inBurst
            ? { error_type: 'oom', error: `CUDA out of memory. Tried to allocate ${rng.intBetween(1, 9)}.00 GiB (GPU ${rng.int(8)})` }
            : { error_type: 'engine_error', error: `request ${i} failed: upstream closed the stream` }
          : {}),
      }),
    );
  }
  return { lines, times, firstBurstError };
}
