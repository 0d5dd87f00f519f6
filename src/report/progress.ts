import { fmtBytes, fmtCount } from './format/units.js';

export const PROGRESS_MODES = ['auto', 'always', 'never'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** Where the bar goes: stderr, or a fake in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export interface ProgressOptions {
  mode: ProgressMode;
  /** Bytes of all inputs as stored (compressed for gzip); undefined when unknown (stdin). */
  totalBytes: number | undefined;
  /** Lines read so far (the pipeline's count). */
  lines: () => number;
  /** auto mode: nothing is shown before this much time. */
  delayMs?: number;
  intervalMs?: number;
  now?: () => number;
}

const CLEAR = '\r\x1b[K';

/**
 * A one-line progress bar on stderr: bytes read of the total, lines per second, the input being
 * read. `auto` shows it only on a terminal and only once reading has taken a second; `always`
 * shows it from the start, terminal or not; `never` is silent. Redrawn in place with \r and
 * cleared at the end, so it never leaves a line behind — and it never touches stdout.
 */
export class ProgressBar {
  private bytes = 0;
  private label = '';
  private shown = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly enabled: boolean;
  private readonly delayMs: number;

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.enabled = options.mode === 'always' || (options.mode === 'auto' && stream.isTTY === true);
    this.delayMs = options.mode === 'always' ? 0 : (options.delayMs ?? 1000);
  }

  start(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs ?? 200);
    this.timer.unref();
    this.tick();
  }

  /** The input now being read ("2/3 app.jsonl.gz"). */
  input(label: string): void {
    this.label = label;
    this.tick();
  }

  addBytes(n: number): void {
    this.bytes += n;
  }

  /** Draw now if it is time to be seen. */
  tick(): void {
    if (!this.enabled || this.now() - this.startedAt < this.delayMs) return;
    this.shown = true;
    this.stream.write(CLEAR + this.render());
  }

  /** Stop redrawing and erase the bar. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.shown) this.stream.write(CLEAR);
    this.shown = false;
  }

  render(): string {
    const seconds = Math.max(1e-3, (this.now() - this.startedAt) / 1000);
    const total = this.options.totalBytes;
    const rate = `${fmtCount(this.options.lines() / seconds)} lines/s`;
    let text: string;
    if (total !== undefined && total > 0) {
      const share = Math.min(1, this.bytes / total);
      const filled = Math.round(share * 20);
      text = `[${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${fmtBytes(this.bytes)} / ${fmtBytes(total)} (${Math.floor(share * 100)} %)  ${rate}  ${this.label}`;
    } else {
      text = `${fmtBytes(this.bytes)} read  ${rate}  ${this.label}`;
    }
    const columns = this.stream.columns;
    // Longer than the terminal, the line would wrap and \r could no longer erase it.
    return columns !== undefined && columns > 10 && text.length >= columns ? text.slice(0, columns - 1) : text;
  }
}
