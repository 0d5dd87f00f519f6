import type { EventConsumer } from '../consumers/consumer.js';
import { Decoder, type DecoderOptions } from '../events/decoder.js';
import { LineSplitter } from '../sources/line-splitter.js';
import { LineStats } from './line-stats.js';

/**
 * The spine: sources push bytes or lines in, the decoder turns each line into at most one event,
 * and every consumer sees every event. Synchronous end to end, so a line is fully accounted for
 * (stats, metrics) before the next one starts — which is what makes offsets and metric state agree.
 */
export class Pipeline {
  readonly stats = new LineStats();
  private readonly decoder: Decoder;

  constructor(
    decoderOptions: DecoderOptions,
    private readonly consumers: readonly EventConsumer[],
    private readonly maxLineBytes: number,
  ) {
    this.decoder = new Decoder(decoderOptions, this.stats);
  }

  /** One line of text, without its newline. */
  readonly line = (text: string): void => {
    const event = this.decoder.decode(text);
    if (event === undefined) return;
    for (let i = 0; i < this.consumers.length; i++) {
      try {
        (this.consumers[i] as EventConsumer).consume(event);
      } catch {
        // A consumer bug must not stop the others, or leave the line half counted and read again.
        this.stats.consumerError();
      }
    }
  };

  /** A splitter feeding this pipeline; each byte stream (file, stdin, request body) gets its own. */
  splitter(): LineSplitter {
    return new LineSplitter(this.maxLineBytes, this.line, this.stats);
  }
}
