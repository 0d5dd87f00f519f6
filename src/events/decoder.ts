import type { LineStats } from '../pipeline/line-stats.js';
import { compileMapping, compilePath, type CompiledMapping, type FieldProblemSink, type ValueLimits } from './compile.js';
import type { InferenceEvent } from './event.js';
import { mappingSpecSchema, type MappingSpec } from './mapping-spec.js';
import { PRESET_NAMES, PRESETS, type PresetName } from './presets.js';

export interface DecoderOptions {
  /** A built-in preset, `auto` (choose per line), or `custom` with `mapping`. */
  preset: PresetName | 'auto' | 'custom';
  mapping?: MappingSpec;
  limits: ValueLimits;
  /** Model name for lines that carry none (TGI, single-model servers). */
  defaultModel: string;
}

interface Candidate {
  mapping: CompiledMapping;
  detect: ((root: unknown) => unknown)[];
}

/**
 * Line text → InferenceEvent. Every line ends in exactly one LineStats result; a line that is a
 * request but has a bad field is still counted, with that field dropped and the problem counted.
 */
export class Decoder {
  private readonly candidates: Candidate[];
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
    } else if (options.preset === 'auto') {
      this.single = undefined;
      this.candidates = PRESET_NAMES.map((name) => ({
        mapping: compilePreset(name, options.limits),
        detect: PRESETS[name].detect.map(compilePath),
      }));
    } else {
      this.single = compilePreset(options.preset, options.limits);
      this.candidates = [];
    }
  }

  /** Decode one line (without its newline). Returns the event, or undefined when it is not one. */
  decode(text: string): InferenceEvent | undefined {
    let line = text;
    if (line.charCodeAt(0) === 0xfeff) {
      line = line.slice(1);
      this.stats.warning('bom');
    }
    if (line.charCodeAt(line.length - 1) === 13 /* \r */) line = line.slice(0, -1);
    if (isBlank(line)) {
      this.stats.empty();
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.stats.invalidLine('json_syntax');
      return undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      this.stats.invalidLine('not_object');
      return undefined;
    }
    const record = parsed as Record<string, unknown>;
    const mapping = this.single ?? this.detect(record);
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

  /** The first shape, in PRESET_NAMES order, whose marker fields the line has. */
  private detect(record: Record<string, unknown>): CompiledMapping | undefined {
    for (const c of this.candidates) {
      for (const has of c.detect) {
        if (has(record) !== undefined) return c.mapping;
      }
    }
    return undefined;
  }
}

function compilePreset(name: PresetName, limits: ValueLimits): CompiledMapping {
  return compileMapping(name, mappingSpecSchema.parse(PRESETS[name].mapping), limits);
}

/** (e2e − TTFT) / (completion tokens − 1): the decode time per token after the first. */
function derivedTimePerOutputToken(e: InferenceEvent): number | undefined {
  if (e.e2eSeconds === undefined || e.ttftSeconds === undefined || e.completionTokens === undefined) return undefined;
  if (e.completionTokens < 2 || e.e2eSeconds < e.ttftSeconds) return undefined;
  return (e.e2eSeconds - e.ttftSeconds) / (e.completionTokens - 1);
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
