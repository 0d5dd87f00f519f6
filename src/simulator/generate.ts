import { malformedLine, type MalformedReason } from './malformed.js';
import { deriveSeed, Rng, WeightedPicker } from './random.js';
import { formatLine, SHAPES, type Shape } from './shapes.js';
import { TrafficModel, type SimulatedRequest, type TrafficOptions } from './traffic.js';

/** Truth of one line: the request it renders, or why it is not one. */
export type LineTruth = SimulatedRequest | { malformed: MalformedReason };

export interface GeneratedLine {
  /** The line without its newline. */
  line: string;
  /** The shape it was rendered in; undefined for malformed lines. */
  shape: Shape | undefined;
  truth: LineTruth;
}

export interface LineSourceOptions extends TrafficOptions {
  /** One shape for every line, or `mixed` (round-robin, or by `shapeWeights`). */
  shape: Shape | 'mixed';
  shapeWeights?: Partial<Record<Shape, number>>;
  /** Fraction of lines that are malformed instead of requests. Default 0. */
  malformedFraction?: number;
}

export function isMalformed(truth: LineTruth): truth is { malformed: MalformedReason } {
  return 'malformed' in truth;
}

/**
 * Requests → lines, with malformed lines mixed in. Shape and malformed choices use their own Rng,
 * so the request sequence of a seed is the same whatever the shape or malformed fraction.
 */
export class LineSource {
  readonly model: TrafficModel;
  private readonly rng: Rng;
  private readonly malformedFraction: number;
  private readonly fixed: Shape | undefined;
  private readonly weighted: WeightedPicker<Shape> | undefined;
  private roundRobin = 0;
  private lastLine: string | undefined;

  constructor(options: LineSourceOptions) {
    this.model = new TrafficModel(options);
    this.rng = new Rng(deriveSeed(options.seed ?? 1, 2));
    this.malformedFraction = options.malformedFraction ?? 0;
    if (options.shape !== 'mixed') {
      this.fixed = options.shape;
    } else if (options.shapeWeights !== undefined) {
      const weights = options.shapeWeights;
      this.weighted = new WeightedPicker(SHAPES.map((s) => [s, weights[s] ?? 0] as const));
    }
  }

  /** The line logged at `nowMs`. */
  next(nowMs: number, load?: number): GeneratedLine {
    if (this.malformedFraction > 0 && this.rng.chance(this.malformedFraction)) {
      const bad = malformedLine(this.rng, this.lastLine);
      return { line: bad.text, shape: undefined, truth: { malformed: bad.reason } };
    }
    const shape = this.fixed ?? this.weighted?.pick(this.rng) ?? (SHAPES[this.roundRobin++ % SHAPES.length] as Shape);
    const truth = this.model.next(nowMs, load);
    const line = formatLine(truth, shape);
    this.lastLine = line;
    return { line, shape, truth };
  }
}

export interface GenerateOptions extends LineSourceOptions {
  /** How many lines. */
  lines: number;
  /** Simulated start time. Default 2025-01-01T00:00:00Z. */
  startMs?: number;
  /** Fixed load (0..1) instead of the one derived from ratePerSecond. */
  load?: number;
}

export const DEFAULT_START_MS = Date.UTC(2025, 0, 1);

/**
 * `lines` lines at `ratePerSecond` (default 10) Poisson arrivals, with simulated time advancing
 * between them: no sleeping, so a million lines take seconds.
 */
export function* generate(options: GenerateOptions): Generator<GeneratedLine> {
  const source = new LineSource(options);
  const arrivals = new Rng(deriveSeed(options.seed ?? 1, 3));
  const meanGapMs = 1000 / (options.ratePerSecond ?? 10);
  let nowMs = options.startMs ?? DEFAULT_START_MS;
  for (let i = 0; i < options.lines; i++) {
    nowMs += arrivals.exponential(meanGapMs);
    yield source.next(nowMs, options.load);
  }
}
