/**
 * The clock the anomaly signals run on: the log's own timestamps, made safe for what real logs do.
 * Bursts, templates and incidents are timed by when the server logged a line, not by when llmtail
 * read it, so a backlog read at full speed, a replay of last night and a live tail agree.
 *
 * Rules (documented in docs/anomaly.md, "Event time"):
 * - **No usable timestamp**: the line happens at the clock's now (live, moved on by the read time
 *   since the last line; a log without any timestamps runs on read time, as before).
 * - **Ahead of read time** (live only): a line more than `maxFutureMs` ahead of the wall clock comes
 *   from a server whose clock is fast, or a broken one; it is timed at the clock's now (read time),
 *   so one bad line never moves the clock for every model.
 * - **Jumps**: a line more than `jumpMs` away from the clock, in either direction, is suspect and
 *   is timed at the clock's now. If the next timestamped line agrees with it (within `jumpMs`), the
 *   log's clock really jumped — a gap of days, a restart with the clock set back, another file of a
 *   glob — and the clock moves there (backwards too: a new epoch). Otherwise it was a stray line.
 * - **Out of order**: lines a little behind the clock keep their time; a burst detector keeps its
 *   buckets open `lateMs` after their end for them. Older lines count in the oldest open bucket.
 * - **Quiet**: a wall-clock tick moves the clock on by the wall time since the last line (live only),
 *   so a burst still ends while nothing is written.
 *
 * Cost per line: a few comparisons, plus one Date.now() in live mode.
 */

export const RETIME_REASONS = ['no_timestamp', 'ahead_of_read_time', 'unconfirmed_jump'] as const;
export type RetimeReason = (typeof RETIME_REASONS)[number];

export interface EventClockOptions {
  /** live: read time guards the clock and ticks advance it; replay: timestamps alone (deterministic). */
  mode: 'live' | 'replay';
  maxFutureMs: number;
  jumpMs: number;
  wall: () => number;
}

export class EventClock {
  /** The log's now, epoch ms (NaN before the first line). */
  now = Number.NaN;
  /** When the first line was seen, on this clock: the start of every baseline. */
  origin = Number.NaN;
  /** Wall time when `now` was last set, for ticks (live, or a replayed log without timestamps). */
  private nowSetAtWall = 0;
  /** No line has had a usable timestamp yet: the clock runs on read time. */
  private onReadTime = false;
  /** Event time of the last line placed at its own timestamp, and the wall time it was read. */
  private lastStampMs = Number.NaN;
  private lastStampWall = 0;
  /** A suspect line's time, waiting for the next line to confirm the jump. */
  private suspect = Number.NaN;
  readonly retimed = new Float64Array(RETIME_REASONS.length);
  /** Confirmed jumps: [forward, backward]. */
  readonly jumps = new Float64Array(2);

  constructor(private readonly o: EventClockOptions) {}

  /**
   * Place one line on the clock; returns its time (epoch ms). `onBackwardJump` runs before the
   * clock moves backwards, so the caller can close what was open on the old timeline.
   */
  place(timestampSeconds: number | undefined, onBackwardJump?: (from: number, to: number) => void): number {
    // Replay needs read time only for lines without a timestamp: no clock call per line.
    const live = this.o.mode === 'live';
    if (timestampSeconds === undefined || !Number.isFinite(timestampSeconds)) return this.retime(0, this.o.wall());
    const wall = live ? this.o.wall() : this.nowSetAtWall;
    const t = timestampSeconds * 1000;
    if (live && t > wall + this.o.maxFutureMs) return this.retime(1, wall);
    if (Number.isNaN(this.now)) {
      this.origin = t;
      return this.set(t, wall);
    }
    if (Math.abs(t - this.now) <= this.o.jumpMs) {
      this.suspect = Number.NaN;
      return t > this.now ? this.set(t, wall) : this.stamp(t, wall);
    }
    if (Number.isNaN(this.suspect) || Math.abs(t - this.suspect) > this.o.jumpMs) {
      this.suspect = t;
      return this.retime(2, wall);
    }
    // Confirmed: the log's clock moved.
    this.suspect = Number.NaN;
    if (t < this.now) {
      this.jumps[1]!++;
      onBackwardJump?.(this.now, t);
    } else this.jumps[0]!++;
    return this.set(t, wall);
  }

  /** Live ticks: the clock runs on with the wall clock while no line comes. Returns now. */
  tick(): number {
    if (this.o.mode === 'live') this.runOn(this.o.wall());
    return this.now;
  }

  private runOn(wall: number): void {
    if (Number.isNaN(this.now) || wall <= this.nowSetAtWall) return;
    this.now += wall - this.nowSetAtWall;
    this.nowSetAtWall = wall;
  }

  /**
   * How far the reader is behind the log: the wall time the newest stamped line was read minus its
   * event time; 0 when unknown. Catching up a backlog shows here.
   */
  lagMs(): number {
    if (Number.isNaN(this.lastStampMs)) return 0;
    return this.lastStampWall - this.lastStampMs;
  }

  private set(t: number, wall: number): number {
    this.onReadTime = false;
    this.now = t;
    this.nowSetAtWall = wall;
    return this.stamp(t, wall);
  }

  private stamp(t: number, wall: number): number {
    if (Number.isNaN(this.lastStampMs) || t >= this.lastStampMs) {
      this.lastStampMs = t;
      this.lastStampWall = wall;
    }
    return t;
  }

  /**
   * The line is timed at the clock's now. Live, the clock first runs on by the read time since the
   * last line (as ticks do). In replay it runs on read time only while the log has given no
   * timestamp at all: read time is all such a log has, and it must never leak into a log's own clock.
   */
  private retime(reason: number, wall: number): number {
    this.retimed[reason]!++;
    if (Number.isNaN(this.now)) {
      this.origin = wall;
      this.now = wall;
      this.nowSetAtWall = wall;
      this.onReadTime = true;
    } else if (this.o.mode === 'live' || this.onReadTime) this.runOn(wall);
    return this.now;
  }
}
