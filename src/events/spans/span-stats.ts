/** What happened to each span received: a request (one event), not a request, or rejected. */
export const SPAN_RESULTS = ['request', 'not_request', 'rejected'] as const;
export type SpanResult = (typeof SPAN_RESULTS)[number];

/** Span counts across the OTLP receiver and `--preset otlp` lines; checkpointed with the metrics. */
export class SpanStats {
  readonly results = new Float64Array(SPAN_RESULTS.length);

  request(): void {
    this.results[0]!++;
  }
  notRequest(): void {
    this.results[1]!++;
  }
  rejected(n: number): void {
    this.results[2]! += n;
  }

  total(): number {
    return this.results.reduce((a, b) => a + b, 0);
  }

  snapshot(): SpanStatsState {
    return { results: [...this.results] };
  }

  /** A checkpoint from before OTLP (no part) restores as zeros; one of another shape does not fit. */
  incompatibility(state: SpanStatsState | undefined): string | undefined {
    return state !== undefined && state.results.length !== this.results.length ? 'the span results changed' : undefined;
  }

  restore(state: SpanStatsState | undefined): void {
    if (state === undefined) return;
    const problem = this.incompatibility(state);
    if (problem !== undefined) throw new Error(problem);
    this.results.set(state.results);
  }
}

export interface SpanStatsState {
  results: number[];
}
