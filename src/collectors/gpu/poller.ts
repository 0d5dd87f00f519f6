/**
 * Runs a task now and then every `intervalMs` (measured start to start), never two at once: a run
 * that overruns the interval delays the next instead of stacking. The task bounds its own time
 * (every nvidia-smi run has a hard timeout), so `stop()` waits at most that long.
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly intervalMs: number,
    private readonly task: () => Promise<void>,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    const started = Date.now();
    this.running = this.task()
      .catch(() => {
        // Tasks report their own failures; one that throws must not end the polling.
      })
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        this.timer = setTimeout(() => this.tick(), Math.max(0, this.intervalMs - (Date.now() - started)));
        this.timer.unref();
      });
  }
}
