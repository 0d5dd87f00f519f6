import type { EventConsumer } from '../consumers/consumer.js';
import { Decoder, type DecoderOptions } from '../events/decoder.js';
import type { InferenceEvent } from '../events/event.js';
import { OtlpLineDecoder } from '../events/spans/otlp-lines.js';
import { SpanDecoder } from '../events/spans/span-decoder.js';
import type { SpanRecord } from '../events/spans/span-record.js';
import { SpanStats } from '../events/spans/span-stats.js';
import { LineSplitter } from '../sources/line-splitter.js';
import { LineStats } from './line-stats.js';

/**
 * The spine: sources push bytes or lines in, the decoder turns each line into at most one event,
 * and every consumer sees every event. Synchronous end to end, so a line is fully accounted for
 * (stats, metrics) before the next one starts — which is what makes offsets and metric state agree.
 * Spans (the OTLP receiver, or `--preset otlp` lines holding many) take their own path into the
 * same consumers, so the one-line-one-request path stays as it was.
 */
export class Pipeline {
  readonly stats = new LineStats();
  readonly spanStats = new SpanStats();
  /** One line of text, without its newline. */
  readonly line: (text: string) => void;
  private readonly spanDecoder: SpanDecoder;

  constructor(
    decoderOptions: DecoderOptions,
    private readonly consumers: readonly EventConsumer[],
    private readonly maxLineBytes: number,
  ) {
    this.spanDecoder = new SpanDecoder(decoderOptions.spanMapping, decoderOptions.limits, decoderOptions.defaultModel, this.stats, this.spanStats);
    if (decoderOptions.preset === 'otlp') {
      const otlp = new OtlpLineDecoder(this.stats, this.spanStats);
      this.line = (text) => {
        const spans = otlp.decode(text);
        if (spans !== undefined) this.spans(spans);
      };
    } else {
      const decoder = new Decoder(decoderOptions, this.stats);
      this.line = (text) => {
        const event = decoder.decode(text);
        if (event !== undefined) this.emit(event);
      };
    }
  }

  /** Spans from one export request: each request span becomes one event, in order. */
  spans(spans: readonly SpanRecord[]): void {
    for (let i = 0; i < spans.length; i++) {
      const event = this.spanDecoder.decode(spans[i] as SpanRecord);
      if (event !== undefined) this.emit(event);
    }
  }

  private emit(event: InferenceEvent): void {
    for (let i = 0; i < this.consumers.length; i++) {
      try {
        (this.consumers[i] as EventConsumer).consume(event);
      } catch {
        // A consumer bug must not stop the others, or leave the line half counted and read again.
        this.stats.consumerError();
      }
    }
  }

  /** A splitter feeding this pipeline; each byte stream (file, stdin, request body) gets its own. */
  splitter(): LineSplitter {
    return new LineSplitter(this.maxLineBytes, this.line, this.stats);
  }
}
