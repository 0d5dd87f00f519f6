import type { Readable } from 'node:stream';
import type { LineSink } from './line-splitter.js';
import type { Source, SourceStatus } from './source.js';

/**
 * Reads one byte stream to its end: stdin (`--input -`). At the end of the stream a last line
 * without newline is complete, so it is counted.
 */
export class StreamSource implements Source {
  readonly kind = 'stdin';
  private ended = false;
  private open = false;
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    private readonly stream: Readable,
    private readonly sink: LineSink,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  static stdin(sink: LineSink): StreamSource {
    return new StreamSource(process.stdin, sink);
  }

  async start(): Promise<void> {
    const splitter = this.sink.splitter();
    this.open = true;
    this.stream.on('data', (chunk: Buffer) => splitter.push(chunk));
    this.stream.on('end', () => {
      splitter.flush();
      this.finish();
    });
    this.stream.on('error', () => this.finish());
  }

  /** Stop reading; an open stdin pipe must not keep the process alive after shutdown. */
  async stop(): Promise<void> {
    this.stream.destroy();
    this.finish();
  }

  status(): SourceStatus {
    return { kind: this.kind, ready: this.open, detail: { ended: this.ended } };
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.resolveDone();
  }
}
