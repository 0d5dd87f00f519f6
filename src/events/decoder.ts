import type { LineStats } from '../pipeline/line-stats.js';
import { compileDetector, compileMapping, type CompiledMapping, type FieldProblemSink, type ValueLimits } from './compile.js';
import type { InferenceEvent } from './event.js';
import { parseLineObject } from './line-object.js';
import { mappingSpecSchema, type MappingSpec } from './mapping-spec.js';
import { PRESET_NAMES, PRESETS, type PresetName } from './presets.js';

export interface DecoderOptions {
  /** A built-in preset, `auto` (choose per line), or `custom` with `mapping`; `otlp` lines are not decoded here (see OtlpLineDecoder). */
  preset: PresetName | 'auto' | 'custom' | 'otlp';
  mapping?: MappingSpec;
  /** Which spans are requests and how they map (OTLP receiver, `--preset otlp`); absent: the built-in vllm one. */
  spanMapping?: MappingSpec;
  limits: ValueLimits;
  /** Model name for lines that carry none (TGI, single-model servers). */
  defaultModel: string;
}

/**
 * Line text → InferenceEvent. Every line ends in exactly one LineStats result; a line that is a
 * request but has a bad field is still counted, with that field dropped and the problem counted.
 */
export class Decoder {
  /** For `auto`: the presets in detection order, and the generated function that picks one. */
  private readonly candidates: CompiledMapping[];
  private readonly detectIndex: (line: Record<string, unknown>) => number;
  private readonly single: CompiledMapping | undefined;
  private readonly onProblem: FieldProblemSink;

  constructor(
    private readonly options: DecoderOptions,
    private readonly stats: LineStats,
  ) {
    this.onProblem = (field, problem) => stats.fieldProblem(field, problem);
    if (options.preset === 'custom') {
      if (options.mapping === undefined) throw new Error('preset "custom" needs a mapping');
      this.single = compileMapping('custom', options.mapping, options.limits);
      this.candidates = [];
      this.detectIndex = () => -1;
    } else if (options.preset === 'otlp') {
      throw new Error('preset "otlp" lines are decoded by OtlpLineDecoder');
    } else if (options.preset === 'auto') {
      this.single = undefined;
      this.candidates = PRESET_NAMES.map((name) => compilePreset(name, options.limits));
      this.detectIndex = compileDetector(PRESET_NAMES.map((name) => PRESETS[name].detect));
    } else {
      // Named explicitly, a preset still needs one of its markers: it takes the lines `auto` would
      // give it, so another server's line (or a stray record) is unmapped, never a wrong request.
      this.single = compilePreset(options.preset, options.limits, PRESETS[options.preset].detect);
      this.candidates = [];
      this.detectIndex = () => -1;
    }
  }

  /** Decode one line (without its newline). Returns the event, or undefined when it is not one. */
  decode(text: string): InferenceEvent | undefined {
    const record = parseLineObject(text, this.stats);
    if (record === undefined) return undefined;
    const mapping = this.single ?? this.candidates[this.detectIndex(record)];
    if (mapping === undefined || !mapping.isRequest(record)) {
      this.stats.unmapped();
      return undefined;
    }
    const event = mapping.extract(record, this.onProblem);
    if (event.model === undefined) event.model = this.options.defaultModel;
    if (event.tpotSeconds === undefined) event.tpotSeconds = derivedTimePerOutputToken(event);
    this.stats.ok();
    return event;
  }
}

function compilePreset(name: PresetName, limits: ValueLimits, markers: readonly string[] = []): CompiledMapping {
  return compileMapping(name, mappingSpecSchema.parse(PRESETS[name].mapping), limits, markers);
}

/** (e2e − TTFT) / (completion tokens − 1): the decode time per token after the first. */
export function derivedTimePerOutputToken(e: InferenceEvent): number | undefined {
  if (e.e2eSeconds === undefined || e.ttftSeconds === undefined || e.completionTokens === undefined) return undefined;
  if (e.completionTokens < 2 || e.e2eSeconds < e.ttftSeconds) return undefined;
  return (e.e2eSeconds - e.ttftSeconds) / (e.completionTokens - 1);
}
