/** A producer of log bytes or lines feeding the pipeline. */
export interface Source {
  readonly kind: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): SourceStatus;
}

export interface SourceStatus {
  kind: string;
  /** Open and able to deliver lines (what /readyz reports). */
  ready: boolean;
  detail?: Record<string, unknown>;
}
