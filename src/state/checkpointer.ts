import type { Logger } from 'pino';
import { single, type Collector } from '../exposition/registry.js';
import type { CheckpointStore } from './checkpoint-store.js';

/**
 * Decides when the checkpoint is written: every `intervalMs` when something changed, before every
 * scrape (so no scrape shows state newer than what a restart would restore, and no counter is ever
 * seen to go down), after an /ingest body is counted, and at shutdown.
 */
export class Checkpointer {
  writes = 0;
  failures = 0;
  lastSuccess: number | undefined;
  lastBytes = 0;
  private writtenGeneration = -1;
  private timer: NodeJS.Timeout | undefined;
  private lastFailureLog = 0;
  /** Failed writes since the last success (for the recovery log line). */
  private failingSince = 0;
  private recreationsSeen = 0;
  /** Nothing is written before start(): a sidecar that failed to restore must not overwrite the checkpoint it could not read. */
  private armed = false;

  constructor(
    private readonly store: CheckpointStore,
    /** The state to record, taken synchronously so it is consistent. */
    private readonly collect: () => Record<string, unknown>,
    /** A number that grows whenever the state changes. */
    private readonly generation: () => number,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.armed = true;
    this.timer = setInterval(() => this.checkpoint(), this.intervalMs);
    this.timer.unref();
  }

  /**
   * Write the checkpoint if the state changed since the last one. Returns whether the state is
   * now durable. A failure (disk full, directory gone) is counted and logged, never thrown:
   * counting and serving go on, and the next call tries again.
   */
  checkpoint(force = false): boolean {
    if (!this.armed) return false;
    const generation = this.generation();
    if (!force && generation === this.writtenGeneration) return true;
    try {
      this.lastBytes = this.store.write(this.collect());
      this.writtenGeneration = generation;
      this.writes++;
      this.lastSuccess = Date.now() / 1000;
      if (this.store.dirRecreations > this.recreationsSeen) {
        this.recreationsSeen = this.store.dirRecreations;
        this.log.warn({ dir: this.store.dir }, 'state directory was gone; created it again and wrote the checkpoint into it');
      }
      if (this.failingSince > 0) {
        this.log.info({ dir: this.store.dir, failed_writes: this.failingSince }, 'checkpoint written again after failed writes; the state is durable again');
        this.failingSince = 0;
      }
      return true;
    } catch (err) {
      this.failures++;
      this.failingSince++;
      const now = Date.now();
      if (now - this.lastFailureLog > 10_000) {
        this.lastFailureLog = now;
        this.log.error({ err, dir: this.store.dir, failures: this.failures }, 'checkpoint write failed; counting goes on, but a restart now would re-count or lose lines read since the last checkpoint');
      }
      return false;
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.checkpoint(true);
  }

  collectors(): Collector[] {
    return [
      {
        name: 'llmtail_checkpoint_writes_total',
        help: 'Checkpoints written (file positions together with all metric state).',
        type: 'counter',
        collect: () => single(this.writes),
      },
      {
        name: 'llmtail_checkpoint_failures_total',
        help: 'Checkpoint writes that failed (disk full, state directory gone or read-only).',
        type: 'counter',
        collect: () => single(this.failures),
      },
      {
        name: 'llmtail_checkpoint_dir_recreations_total',
        help: 'Times the state directory was found deleted at a checkpoint and created again.',
        type: 'counter',
        collect: () => single(this.store.dirRecreations),
      },
      {
        name: 'llmtail_checkpoint_last_success_timestamp_seconds',
        help: 'When the last checkpoint was written.',
        type: 'gauge',
        collect: () => single(this.lastSuccess),
      },
      {
        name: 'llmtail_checkpoint_age_seconds',
        help: 'Seconds since the last successful checkpoint, as of this scrape.',
        type: 'gauge',
        collect: () => single(this.lastSuccess === undefined ? undefined : Math.max(0, Date.now() / 1000 - this.lastSuccess)),
      },
      {
        name: 'llmtail_checkpoint_size_bytes',
        help: 'Size of the last checkpoint written.',
        type: 'gauge',
        collect: () => single(this.lastBytes),
      },
    ];
  }
}
