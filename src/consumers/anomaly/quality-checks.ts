import type { AnomalyConfig } from './config.js';
import { isValidJson } from './json-check.js';
import { phraseTest, sensitiveTest, type TextTest } from './sensitive.js';

/**
 * Response-quality checks (seed 001) on a response's text. They run only for events that carry an
 * output (not every log shape does) and cost nothing else per line. What they find is returned as
 * bits and only ever counted: the text itself never leaves the sidecar.
 */

export const QUALITY_CHECKS = ['empty_response', 'malformed_json', 'sensitive_data', 'jailbreak_phrase'] as const;
export type QualityCheck = (typeof QUALITY_CHECKS)[number];

export const EMPTY = 1;
export const MALFORMED_JSON = 2;
export const SENSITIVE = 4;
export const JAILBREAK = 8;

/** True when the text is empty or only whitespace (no allocation, unlike trim()). */
/**
 * Counts one response's findings into per-check counters (in QUALITY_CHECKS order). An empty
 * response is only that: the other checks do not apply to it. Returns whether it was empty.
 */
export function countFindings(counts: Float64Array, found: number): boolean {
  if (found & EMPTY) {
    counts[0]!++;
    return true;
  }
  if (found & MALFORMED_JSON) counts[1]!++;
  if (found & SENSITIVE) counts[2]!++;
  if (found & JAILBREAK) counts[3]!++;
  return false;
}

export function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9 && c !== 0xa0 && c !== 0x3000 && c !== 0xfeff) return false;
  }
  return true;
}

export class QualityChecker {
  private readonly sensitive: TextTest;
  private readonly jailbreak: TextTest;
  private readonly maxChars: number;

  constructor(config: Pick<AnomalyConfig, 'sensitive_patterns' | 'jailbreak_phrases' | 'max_output_chars'>) {
    this.sensitive = sensitiveTest(config.sensitive_patterns);
    this.jailbreak = phraseTest(config.jailbreak_phrases);
    this.maxChars = config.max_output_chars;
  }

  /**
   * The checks that fail for one response, as bits. `success`: the request succeeded (an empty or
   * malformed answer only counts then). Texts longer than max_output_chars are scanned up to that
   * length and not JSON-parsed (a response cut there would not parse anyway).
   */
  check(output: string, success: boolean, jsonMode: boolean): number {
    if (isBlank(output)) return success ? EMPTY : 0;
    let found = 0;
    const long = output.length > this.maxChars;
    if (jsonMode && success && !long && !isValidJson(output)) found |= MALFORMED_JSON;
    const text = long ? output.slice(0, this.maxChars) : output;
    if (this.sensitive(text)) found |= SENSITIVE;
    if (this.jailbreak(text)) found |= JAILBREAK;
    return found;
  }
}
