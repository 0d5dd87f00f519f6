import type { Config } from '../config/schema.js';
import type { DecoderOptions } from './decoder.js';

/** The decoder settings from the configuration: the sidecar and `report` decode exactly alike. */
export function decoderOptions(config: Config): DecoderOptions {
  return {
    preset: config.preset,
    mapping: config.mapping,
    spanMapping: config.span_mapping,
    defaultModel: config.default_model,
    limits: {
      maxDurationSeconds: config.limits.max_duration_seconds,
      maxTokens: config.limits.max_tokens,
      maxBytes: config.limits.max_gpu_memory_bytes,
    },
  };
}
