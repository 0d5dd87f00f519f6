import { describe, expect, it } from 'vitest';
import { GAUGE_FIELDS } from '../../../src/collectors/gpu/fields.js';
import type { GpuReading } from '../../../src/collectors/gpu/readings.js';
import { RequestMetrics } from '../../../src/consumers/metrics/request-metrics.js';
import type { InferenceEvent } from '../../../src/events/event.js';
import { bucketQuantile } from '../../../src/exposition/live/bucket-quantile.js';
import type { LiveInputs } from '../../../src/exposition/live/inputs.js';
import { LiveRecorder, MAX_GPUS } from '../../../src/exposition/live/recorder.js';
import { RingColumns } from '../../../src/exposition/live/ring.js';
import { LineStats } from '../../../src/pipeline/line-stats.js';

/** A recorder over real aggregates, on a clock the test moves. */
function setup(options: { labels?: ('model' | 'status')[]; resolution?: number; window?: number } = {}) {
  const requests = new RequestMetrics({
    labels: options.labels ?? ['model', 'status'],
    maxValuesPerLabel: 100,
    maxLabelValueLength: 128,
    // Few, round buckets so the expected quantiles can be worked out by hand.
    buckets: { e2e_latency: [1, 2, 4], time_to_first_token: [0.1, 0.2] },
    exemplars: false,
  });
  const lines = new LineStats();
  let gpus: GpuReading[] | undefined;
  let fileCount = 1;
  let lag = [{ bytes: 0 }];
  const inputs: LiveInputs = {
    requests,
    lines: lines,
    files: { get fileCount() { return fileCount; }, lag: () => lag },
    gpu: { fresh: () => gpus, error: undefined },
    sources: () => [{ status: () => ({ kind: 'file', ready: true }) }],
  };
  let nowMs = 1_700_000_000_000;
  const recorder = new LiveRecorder(inputs, { resolutionSeconds: options.resolution ?? 5, windowSeconds: options.window ?? 60, now: () => nowMs });
  const feed = (n: number, e: Partial<InferenceEvent>) => {
    for (let i = 0; i < n; i++) {
      requests.consume({ status: 'success', model: 'm', ...e });
      lines.ok();
    }
  };
  return {
    requests,
    lines,
    recorder,
    feed,
    /** Moves the clock by `seconds` and samples. */
    step: (seconds: number) => {
      nowMs += seconds * 1000;
      recorder.sample();
    },
    setGpus: (g: GpuReading[] | undefined) => (gpus = g),
    setFiles: (count: number, bytes: number[]) => {
      fileCount = count;
      lag = bytes.map((b) => ({ bytes: b }));
    },
  };
}

function gpu(index: number, usedGiB: number, utilization: number): GpuReading {
  const values = GAUGE_FIELDS.map((f) => {
    if (f.field === 'memory.used') return usedGiB * 2 ** 30;
    if (f.field === 'memory.total') return 80 * 2 ** 30;
    if (f.field === 'utilization.gpu') return utilization;
    return undefined;
  });
  const uuid = `GPU-${index}`;
  return { uuid, index: String(index), labels: { gpu: String(index), uuid }, info: { gpu: String(index), uuid, name: 'NVIDIA H100' }, values, count: undefined };
}

describe('bucketQuantile', () => {
  const bounds = Float64Array.from([1, 2, 4]);
  it('interpolates inside the bucket like histogram_quantile, +Inf answering the highest bound', () => {
    const counts = Float64Array.from([10, 10, 5, 0]);
    expect(bucketQuantile(0.5, bounds, counts, 25)).toBeCloseTo(1.25, 12);
    expect(bucketQuantile(0.95, bounds, counts, 25)).toBeCloseTo(3.5, 12);
    expect(bucketQuantile(0.99, bounds, Float64Array.from([0, 0, 0, 3]), 3)).toBe(4);
    expect(bucketQuantile(0.5, bounds, Float64Array.from([0, 0, 0, 0]), 0)).toBeNaN();
  });
});

describe('LiveRecorder', () => {
  it('records exact rates, error ratio, tokens/s and bucket quantiles from the change between samples', () => {
    const t = setup();
    t.step(0);
    t.feed(10, { e2eSeconds: 0.5, ttftSeconds: 0.05, promptTokens: 100, completionTokens: 10 });
    t.feed(10, { e2eSeconds: 1.5, ttftSeconds: 0.15, promptTokens: 100, completionTokens: 10 });
    t.feed(5, { status: 'error', e2eSeconds: 3, promptTokens: 100, completionTokens: 10 });
    t.step(5);
    // Second interval: two slow requests only; what came before must not count again.
    t.feed(2, { e2eSeconds: 10 });
    t.step(5);
    // Third interval: nothing.
    t.step(5);

    const s = t.recorder.series();
    expect(s.timestamps).toEqual([1_700_000_000, 1_700_000_005, 1_700_000_010, 1_700_000_015]);
    expect(s.requests_per_second).toEqual({ success: [null, 4, 0.4, 0], error: [null, 1, 0, 0] });
    expect(s.error_ratio).toEqual([null, 0.2, 0, null]);
    // 25 observations: 10 in (0,1], 10 in (1,2], 5 in (2,4].
    expect(s.e2e_latency_seconds.p50[1]).toBeCloseTo(1.25, 5);
    expect(s.e2e_latency_seconds.p95[1]).toBeCloseTo(3.5, 5);
    expect(s.e2e_latency_seconds.p99[1]).toBeCloseTo(3.9, 5);
    // The second interval's two observations are past the last bound: the highest finite bound.
    expect(s.e2e_latency_seconds.p50.slice(2)).toEqual([4, null]);
    expect(s.e2e_latency_seconds.p50[0]).toBeNull();
    // TTFT: 10 in (0,0.1], 10 in (0.1,0.2]; p50 rank 10 → 0.1, p95 rank 19 → 0.19.
    expect(s.ttft_seconds.p50[1]).toBeCloseTo(0.1, 5);
    expect(s.ttft_seconds.p95[1]).toBeCloseTo(0.19, 5);
    expect(s.ttft_seconds.p50[2]).toBeNull();
    expect(s.tokens_per_second).toEqual({ input: [null, 500, 0, 0], output: [null, 50, 0, 0] });
    expect(s.lines_per_second).toEqual([null, 5, 0.4, 0]);
    expect(s.files_followed).toEqual([1, 1, 1, 1]);
  });

  it('counts invalid lines, files and the largest lag', () => {
    const t = setup();
    t.step(0);
    t.lines.invalidLine('json_syntax');
    t.lines.invalidLine('too_long');
    t.setFiles(3, [10, 5000, 7]);
    t.step(2);
    const s = t.recorder.series();
    expect(s.invalid_lines_per_second).toEqual([null, 1]);
    expect(s.files_followed).toEqual([1, 3]);
    expect(s.max_lag_bytes).toEqual([0, 5000]);
    expect(s.health).toMatchObject({ lines_total: 2, invalid_lines_total: 2, files_followed: 3, max_lag_bytes: 5000, gpu: 'waiting', inputs: [{ kind: 'file', ready: true }] });
  });

  it('leaves gaps: before the first interval, across a late sample, and while GPU samples are stale', () => {
    const t = setup({ resolution: 5 });
    t.setGpus([gpu(0, 20, 0.5)]);
    t.step(0);
    t.feed(5, { e2eSeconds: 0.5 });
    t.setGpus(undefined);
    t.step(5);
    t.setGpus([gpu(0, 30, 1)]);
    // 40 s late: a gap row at previous + resolution, then the row (its rate averaged over 40 s).
    t.feed(40, { e2eSeconds: 0.5 });
    t.step(40);
    const s = t.recorder.series();
    expect(s.timestamps).toEqual([1_700_000_000, 1_700_000_005, 1_700_000_010, 1_700_000_045]);
    expect(s.requests_per_second.success).toEqual([null, 1, null, 1]);
    expect(s.gpus).toHaveLength(1);
    expect(s.gpus[0]).toMatchObject({ gpu: '0', name: 'NVIDIA H100', memory_used_bytes: [20 * 2 ** 30, null, null, 30 * 2 ** 30], utilization_ratio: [0.5, null, null, 1] });
    expect(s.gpus[0]?.memory_total_bytes).toEqual([80 * 2 ** 30, null, null, 80 * 2 ** 30]);
  });

  it('answers only rows newer than `since`', () => {
    const t = setup();
    for (let i = 0; i < 5; i++) t.step(5);
    const all = t.recorder.series();
    const since = all.timestamps[2] as number;
    const newer = t.recorder.series(since);
    expect(newer.timestamps).toEqual(all.timestamps.slice(3));
    expect(newer.lines_per_second).toHaveLength(2);
    expect(t.recorder.series(all.timestamps[4]).timestamps).toEqual([]);
  });

  it('without a status label: one request rate for all, and no error ratio', () => {
    const t = setup({ labels: ['model'] });
    t.step(0);
    t.feed(10, {});
    t.feed(10, { status: 'error' });
    t.step(10);
    const s = t.recorder.series();
    expect(s.requests_per_second).toEqual({ all: [null, 2] });
    expect(s.error_ratio).toEqual([null, null]);
  });

  it('after the clock steps back, starts the history again in time order, and a since from before the step gets every row', () => {
    const t = setup();
    t.feed(10, { e2eLatencySeconds: 1.5 });
    t.step(5);
    t.step(5);
    t.step(5);
    const before = t.recorder.series();
    expect(before.complete).toBe(true);
    expect(before.timestamps).toHaveLength(3);
    const lastBefore = before.timestamps[2] as number;
    expect(t.recorder.series(lastBefore).complete).toBe(false);

    t.step(-60); // NTP steps the clock back a minute
    t.feed(10, { e2eLatencySeconds: 1.5 });
    t.step(5);
    const after = t.recorder.series(lastBefore);
    // The client's since is now in the clock's future: it must get the whole (new) history.
    expect(after.complete).toBe(true);
    expect(after.timestamps).toHaveLength(2);
    expect(after.timestamps[0] as number).toBeLessThan(lastBefore);
    expect([...after.timestamps].sort((a, b) => a - b)).toEqual(after.timestamps);
    // The row at the step sets the baseline (no rate); the next has the rate again.
    expect(after.requests_per_second.success).toEqual([null, 2]);
  });

  it('keeps memory bounded: a fixed number of rows, statuses and at most MAX_GPUS GPUs, whatever the traffic', () => {
    const t = setup({ resolution: 1, window: 60 });
    const many = Array.from({ length: 100 }, (_, i) => gpu(i, 1, 0.1));
    t.setGpus(many);
    t.step(1);
    const bytesAfterFirst = t.recorder.ring.byteLength();
    for (let i = 0; i < 2000; i++) {
      t.feed(3, { model: `model-${i % 500}`, status: i % 7 === 0 ? 'timeout' : 'success', e2eSeconds: i % 13 });
      t.step(1);
    }
    const s = t.recorder.series();
    expect(t.recorder.ring.capacity).toBe(61);
    expect(s.timestamps).toHaveLength(61);
    expect(s.lines_per_second.every((v) => v === 3)).toBe(true);
    expect(s.gpus).toHaveLength(MAX_GPUS);
    expect(s.health.dropped_gpus).toBe(100 - MAX_GPUS);
    expect(t.recorder.ring.byteLength()).toBe(bytesAfterFirst);
    // Timestamps + 8 statuses + error ratio + 6 quantiles + 2 token rates + 4 health + 3 per GPU.
    expect(t.recorder.ring.byteLength()).toBe((1 + 8 + 1 + 6 + 2 + 4 + 3 * MAX_GPUS) * 61 * 8);
  });
});

describe('RingColumns', () => {
  it('overwrites the oldest row and reads gaps as null', () => {
    const ring = new RingColumns(3);
    const c = ring.addColumn();
    for (let i = 1; i <= 5; i++) {
      const slot = ring.push(i);
      if (i !== 4) ring.set(slot, c, i * 10);
    }
    const slots = ring.slotsSince();
    expect(slots.map((s) => ring.timestamps[s])).toEqual([3, 4, 5]);
    expect(ring.read(c, slots)).toEqual([30, null, 50]);
    expect(ring.lastTimestamp()).toBe(5);
  });
});
