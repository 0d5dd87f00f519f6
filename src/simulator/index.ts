/** The built-in traffic simulator: `llmtail demo`, test ground truth and benchmark input. */
export { deriveSeed, Rng, WeightedPicker } from './random.js';
export {
  DEFAULT_MODELS,
  micros,
  SIMULATED_STATUSES,
  TrafficModel,
  type Burst,
  type ModelProfile,
  type SimulatedRequest,
  type SimulatedStatus,
  type TrafficOptions,
} from './traffic.js';
export { expectedEvent, formatLine, isoMicros, openaiId, rustDuration, SHAPES, type Shape } from './shapes.js';
export { MALFORMED_REASONS, malformedLine, type MalformedLine, type MalformedReason } from './malformed.js';
export {
  DEFAULT_START_MS,
  generate,
  isMalformed,
  LineSource,
  type GeneratedLine,
  type GenerateOptions,
  type LineSourceOptions,
  type LineTruth,
} from './generate.js';
export { startSimulator, type SimulatorHandle, type SimulatorOptions, type SimulatorStats } from './writer.js';
