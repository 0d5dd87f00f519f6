/** A token bucket: `ratePerMinute` on average, at most `capacity` back to back. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerMinute: number,
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + (Math.max(0, now - this.last) * this.ratePerMinute) / 60_000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
