import type { Readable } from 'node:stream';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Source, SourceStatus } from './source.js';

/**
 * Reads one byte stream to its end: stdin (`--input -`). At the end of the stream a last line
 * without newline is complete, so it is counted.
 */
export class StreamSource implements Source {
  readonly kind: string;
  private ended = false;
  private open = false;
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private stream: Readable | undefined;

  constructor(
    private readonly makeStream: () => Readable,
    private readonly pipeline: Pipeline,
    kind = 'stdin',
  ) {
    this.kind = kind;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  static stdin(pipeline: Pipeline): StreamSource {
    return new StreamSource(() => process.stdin, pipeline, 'stdin');
  }

  async start(): Promise<void> {
    const stream = this.makeStream();
    this.stream = stream;
    const splitter = this.pipeline.splitter();
    this.open = true;
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
      // stdin has no 'open' event; it is readable at once.
      if (stream === process.stdin) resolve();
    });
    stream.on('data', (chunk: Buffer) => {
      splitter.push(chunk);
    });
    stream.on('end', () => {
      splitter.flush();
      this.finish();
    });
    stream.on('error', () => this.finish());
  }

  /** Stop reading; an open stdin pipe must not keep the process alive after shutdown. */
  async stop(): Promise<void> {
    this.stream?.destroy();
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
