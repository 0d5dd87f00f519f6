import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { EventConsumer } from '../consumers/consumer.js';
import { decoderOptions } from '../events/decoder-options.js';
import type { InferenceEvent } from '../events/event.js';
import type { Collector } from '../exposition/registry.js';
import { Pipeline } from '../pipeline/pipeline.js';
import type { Sidecar } from '../sidecar.js';
import { LineSplitter } from '../sources/line-splitter.js';
import type { FamilySpool } from './family-spool.js';
import { familyHeader, renderLabels, sampleLines } from './openmetrics.js';
import { StepClock } from './step-clock.js';

/**
 * Families that describe the process running, not the log: they would report this backfill run
 * (bytes read ahead, inputs, internal errors, calls it never made) or things only a live sidecar
 * sees (GPUs, files it tails, its checkpoint). The rest is what replay exposes.
 */
const LIVE_ONLY_NAMES = new Set(['llmtail_read_bytes_total', 'llmtail_input_up', 'llmtail_internal_errors_total']);
const LIVE_ONLY_PREFIXES = ['llmtail_gpu_', 'llmtail_file_', 'llmtail_files_', 'llmtail_checkpoint_', 'llmtail_summarizer_', 'llmtail_alertmanager_'];

export function isLiveOnly(name: string): boolean {
  return LIVE_ONLY_NAMES.has(name) || LIVE_ONLY_PREFIXES.some((p) => name.startsWith(p));
}

export interface BackfillOptions {
  stepSeconds: number;
  maxSteps: number;
  /** On every series, after its own labels: the job and instance a scrape would have added. */
  labels: readonly (readonly [string, string])[];
}

/**
 * Feeds lines to a sidecar's pipeline and, each time event time passes a step boundary, writes what
 * its registry would have exposed then, with that timestamp, to the spool. Sources push into
 * `splitter()` as they would into the pipeline's.
 */
export class Backfill {
  private readonly clock: StepClock;
  /**
   * Decodes each line once more, only for its event time: the pipeline counts a line (lines_total,
   * field errors) while decoding it, so the time must be known before the pipeline sees the line.
   * A pipeline of its own (own counts, one consumer that keeps the time) decodes every input the
   * sidecar's does, OTLP lines with many spans included.
   */
  private readonly probe: Pipeline;
  private readonly latest = new LatestEventTime();
  private readonly families: readonly Collector[];
  private readonly extraLabels: string;
  steps = 0;

  constructor(
    private readonly sidecar: Sidecar,
    private readonly spool: FamilySpool,
    options: BackfillOptions,
  ) {
    this.clock = new StepClock(options.stepSeconds, options.maxSteps, (t) => this.step(t));
    this.probe = new Pipeline(decoderOptions(sidecar.config), [this.latest], sidecar.config.lines.max_bytes);
    this.families = sidecar.registry.collectors().filter((c) => !isLiveOnly(c.name));
    this.extraLabels = renderLabels(options.labels);
  }

  readonly line = (text: string): void => {
    this.latest.seconds = undefined;
    this.probe.line(text);
    this.clock.observe(this.latest.seconds);
    this.sidecar.pipeline.line(text);
  };

  /** A splitter feeding `line`; each byte stream gets its own. */
  splitter(): LineSplitter {
    return new LineSplitter(this.sidecar.config.lines.max_bytes, this.line, this.sidecar.pipeline.stats);
  }

  /** After the last line: emit the last step, which holds every line read. Its time; undefined when no line had an event time. */
  finish(): number | undefined {
    return this.clock.finish();
  }

  /** The whole OpenMetrics text, family by family, to `out` (after `finish`). */
  async writeTo(out: Writable): Promise<void> {
    await this.spool.copyTo(out, (i) => familyHeader(this.families[i] as Collector));
    if (!out.write('# EOF\n')) await once(out, 'drain');
  }

  private step(timeSeconds: number): void {
    this.steps++;
    for (let i = 0; i < this.families.length; i++) {
      const family = this.families[i] as Collector;
      this.spool.append(i, sampleLines(family, family.collect(), timeSeconds, this.extraLabels));
    }
  }
}

/** The latest event time among a line's events (an OTLP export line holds many spans). */
class LatestEventTime implements EventConsumer {
  seconds: number | undefined;

  consume(event: InferenceEvent): void {
    const t = event.timestamp;
    if (t !== undefined && (this.seconds === undefined || t > this.seconds)) this.seconds = t;
  }
}
