import { describe, expect, it } from 'vitest';
import { AnomalyConsumer } from '../../../src/consumers/anomaly/anomaly-consumer.js';
import { BurstDetector, burstOptions } from '../../../src/consumers/anomaly/burst-detector.js';
import { anomalyConfigSchema, burstConfigSchema } from '../../../src/consumers/anomaly/config.js';
import { EventClock, RETIME_REASONS } from '../../../src/consumers/anomaly/event-clock.js';
import type { Incident } from '../../../src/consumers/anomaly/incidents.js';
import type { InferenceEvent } from '../../../src/events/event.js';

/** Wall time (read time) of the tests: 2026-01-05 12:00 UTC. */
const WALL = Date.UTC(2026, 0, 5, 12, 0, 0);
const S = 1000;
const sec = (ms: number) => ms / 1000;

function clock(mode: 'live' | 'replay', wall = { now: WALL }) {
  return { c: new EventClock({ mode, maxFutureMs: 60 * S, jumpMs: 300 * S, wall: () => wall.now }), wall };
}
const retimed = (c: EventClock) => Object.fromEntries(RETIME_REASONS.map((r, i) => [r, c.retimed[i]]));

describe('EventClock', () => {
  it("times lines by their own timestamps, however fast they are read; the clock is the newest line's", () => {
    const { c } = clock('replay');
    const t0 = WALL - 86_400 * S; // yesterday's log, read now
    expect(c.place(sec(t0))).toBe(t0);
    expect(c.place(sec(t0 + 5 * S))).toBe(t0 + 5 * S);
    // A few seconds out of order (another worker): keeps its time, the clock does not go back.
    expect(c.place(sec(t0 + 2 * S))).toBe(t0 + 2 * S);
    expect(c.now).toBe(t0 + 5 * S);
    expect(c.origin).toBe(t0);
    expect(retimed(c)).toEqual({ no_timestamp: 0, ahead_of_read_time: 0, unconfirmed_jump: 0 });
  });

  it('a line without a timestamp happens at read time on the clock (a log without any: read time)', () => {
    const { c, wall } = clock('live');
    expect(c.place(undefined)).toBe(WALL);
    wall.now += 1500;
    expect(c.place(Number.NaN)).toBe(WALL + 1500);
    expect(c.retimed[0]).toBe(2);
  });

  it('live: a line far ahead of read time (a fast server clock) is timed at read time and never moves the clock', () => {
    const { c, wall } = clock('live');
    c.place(sec(WALL - 2 * S));
    wall.now += 1000;
    // Ten minutes ahead of the wall clock: distrusted.
    expect(c.place(sec(WALL + 600 * S))).toBe(WALL - 2 * S + 1000);
    expect(c.now).toBe(WALL - 2 * S + 1000);
    // A little ahead (drift under max_future_seconds) is believed.
    expect(c.place(sec(WALL + 30 * S))).toBe(WALL + 30 * S);
    expect(retimed(c)).toEqual({ no_timestamp: 0, ahead_of_read_time: 1, unconfirmed_jump: 0 });
  });

  it('a stray line far from the clock, alone, is timed at the clock and moves nothing', () => {
    const { c } = clock('replay');
    const t0 = WALL - 3600 * S;
    c.place(sec(t0));
    expect(c.place(sec(t0 + 30 * 86_400 * S))).toBe(t0); // a line from next month
    expect(c.place(sec(t0 + S))).toBe(t0 + S);
    expect(c.place(sec(t0 - 7 * 86_400 * S))).toBe(t0 + S); // one from last week
    expect(c.place(sec(t0 + 2 * S))).toBe(t0 + 2 * S);
    expect(c.now).toBe(t0 + 2 * S);
    expect(retimed(c)).toEqual({ no_timestamp: 0, ahead_of_read_time: 0, unconfirmed_jump: 2 });
    expect([...c.jumps]).toEqual([0, 0]);
  });

  it('a gap of days, confirmed by the next line, moves the clock forward', () => {
    const { c } = clock('replay');
    const t0 = WALL - 10 * 86_400 * S;
    c.place(sec(t0));
    const later = t0 + 3 * 86_400 * S;
    expect(c.place(sec(later))).toBe(t0); // suspect until…
    expect(c.place(sec(later + S))).toBe(later + S); // …the next line agrees
    expect(c.now).toBe(later + S);
    expect([...c.jumps]).toEqual([1, 0]);
  });

  it('a log that jumps backwards (a restart with the clock set back) starts a new timeline once confirmed', () => {
    const { c } = clock('replay');
    const t0 = WALL - 3600 * S;
    c.place(sec(t0));
    const jumps: [number, number][] = [];
    const back = t0 - 1800 * S;
    c.place(sec(back), (from, to) => jumps.push([from, to]));
    expect(jumps).toEqual([]);
    expect(c.place(sec(back + S), (from, to) => jumps.push([from, to]))).toBe(back + S);
    expect(jumps).toEqual([[t0, back + S]]);
    expect(c.now).toBe(back + S);
    expect([...c.jumps]).toEqual([0, 1]);
  });

  it('live: a tick moves the clock on by the wall time since the last line; replay ignores ticks', () => {
    const live = clock('live');
    live.c.place(sec(WALL - 10 * S));
    live.wall.now += 25 * S;
    expect(live.c.tick()).toBe(WALL + 15 * S);
    const replay = clock('replay');
    replay.c.place(sec(WALL - 10 * S));
    replay.wall.now += 25 * S;
    expect(replay.c.tick()).toBe(WALL - 10 * S);
  });

  it('lag: how far the reader is behind the log when it read the newest line', () => {
    const { c, wall } = clock('live');
    expect(c.lagMs()).toBe(0);
    c.place(sec(WALL - 7200 * S));
    expect(c.lagMs()).toBe(7200 * S);
    wall.now += 10;
    c.place(sec(WALL - 7100 * S));
    expect(c.lagMs()).toBe(7100 * S + 10);
  });
});

describe('BurstDetector with a wait for late lines', () => {
  const o = burstOptions(burstConfigSchema.parse({}), 10 * S); // 5 s buckets, 30 s window, 10 s late

  it('a bucket stays open for late lines: they are counted in their own bucket, and the baseline sees them', () => {
    const d = new BurstDetector(o, 0);
    d.record(1000);
    d.advance(12_000); // bucket 0 ([0, 5 s)) is still open: it ended 7 s ago
    d.record(3000); // late, but in time
    d.advance(15_001); // now it closes, with both lines
    expect(d.baseline).toBe(2);
  });

  it('a line later than the wait counts in the oldest open bucket, never lost', () => {
    const d = new BurstDetector(o, 0);
    d.advance(60_000);
    const before = d.window;
    d.record(1000); // 59 s late
    expect(d.window).toBe(before + 1);
  });
});

describe('AnomalyConsumer on event time', () => {
  const base = Date.UTC(2026, 0, 4, 0, 0, 0); // yesterday: read now, live
  const ev = (t: number, status: InferenceEvent['status'] = 'error', model = 'm'): InferenceEvent => ({
    status,
    model,
    timestamp: t / 1000,
    errorType: status === 'success' ? undefined : 'oom',
    errorMessage: status === 'success' ? undefined : 'CUDA out of memory. Tried to allocate 2.00 GiB',
  });

  function consumer(timing: 'live' | 'replay', wall = { now: WALL }) {
    const started: Incident[] = [];
    const ended: Incident[] = [];
    const c = new AnomalyConsumer({
      config: anomalyConfigSchema.parse({ burst: { new_template_repeats: 0 } }),
      maxModels: 10,
      maxLabelLength: 128,
      timing,
      clock: () => wall.now,
      onBurstStart: (i) => started.push(i),
      onBurstEnd: (i) => ended.push(i),
    });
    return { c, started, ended, wall };
  }

  it('a steady 1 % error rate read at full speed is no burst; a burst in it is found with its real start and end', () => {
    const { c, started, ended } = consumer('replay');
    // Two hours at 200 requests/s, every 100th failing, read in one go.
    const burstAt = base + 3600 * S;
    for (let t = base; t < base + 7200 * S; t += 5) {
      const i = (t - base) / 5;
      const inBurst = t >= burstAt && t < burstAt + 60 * S;
      c.consume(ev(t, (inBurst ? i % 3 === 0 : i % 100 === 0) ? 'error' : 'success'));
    }
    expect(started).toHaveLength(1);
    const incident = started[0] as Incident;
    expect(incident.startedAt).toBeGreaterThanOrEqual(burstAt);
    expect(incident.startedAt - burstAt).toBeLessThan(10 * S);
    expect(ended).toHaveLength(1);
    expect(incident.endedAt! - (burstAt + 60 * S)).toBeGreaterThan(0);
    expect(incident.endedAt! - (burstAt + 60 * S)).toBeLessThan(90 * S);
  });

  it('the same lines give the same bursts however fast they come, live or replayed', () => {
    const lines: InferenceEvent[] = [];
    for (let t = base; t < base + 600 * S; t += 100) lines.push(ev(t, t > base + 300 * S && t < base + 320 * S ? 'error' : t % 10_000 === 0 ? 'error' : 'success'));
    const replayed = consumer('replay');
    for (const e of lines) replayed.c.consume(e);
    // Live, read slowly: the wall clock moves 50 ms a line and ticks run between lines.
    const live = consumer('live');
    for (const e of lines) {
      live.wall.now += 50;
      live.c.tick();
      live.c.consume(e);
    }
    const starts = (x: { started: Incident[] }) => x.started.map((i) => i.startedAt);
    expect(starts(replayed)).toHaveLength(1);
    expect(starts(live)).toEqual(starts(replayed));
  });

  it('a backward jump ends the burst of the old timeline at its last line', () => {
    const { c, started, ended } = consumer('replay');
    for (let t = base; t < base + 60 * S; t += 1000) c.consume(ev(t, 'success'));
    for (let k = 0; k < 40; k++) c.consume(ev(base + 60 * S + k * 100));
    expect(started).toHaveLength(1);
    const back = base - 3600 * S;
    c.consume(ev(back, 'success'));
    c.consume(ev(back + S, 'success'));
    expect(ended).toHaveLength(1);
    expect(ended[0]?.endedAt).toBe(base + 60 * S + 39 * 100);
    expect(c.clock.jumps[1]).toBe(1);
  });

  it('live: a burst ends on wall-clock ticks while the log is quiet', () => {
    const { c, started, ended, wall } = consumer('live');
    const t0 = WALL - 60 * S;
    c.consume(ev(t0, 'success'));
    for (let k = 0; k < 40; k++) c.consume(ev(WALL + k * 10));
    expect(started).toHaveLength(1);
    for (let s = 0; s < 120 && ended.length === 0; s++) {
      wall.now += S;
      c.tick();
    }
    expect(ended).toHaveLength(1);
    // Window (30 s) + quiet (20 s) after the last line, give or take a bucket.
    expect((ended[0]?.endedAt as number) - WALL).toBeGreaterThanOrEqual(45 * S);
    expect((ended[0]?.endedAt as number) - WALL).toBeLessThanOrEqual(60 * S);
  });
});

describe('EventClock, lines without a timestamp in a replayed log that has them', () => {
  it('take the clock\'s now: no read time is mixed into the log\'s own clock', () => {
    const { c, wall } = clock('replay');
    const t0 = WALL - 86_400 * S;
    c.place(sec(t0));
    wall.now += 5 * S;
    expect(c.place(undefined)).toBe(t0);
    expect(c.place(sec(t0 + S))).toBe(t0 + S);
    expect(c.now).toBe(t0 + S);
    expect([...c.jumps]).toEqual([0, 0]);
  });
});
