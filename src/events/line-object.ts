import type { LineStats } from '../pipeline/line-stats.js';

/**
 * The start of every decoded line: strip a BOM and a trailing CR, then parse one JSON object.
 * Blank lines, broken JSON and JSON that is not an object end here, counted; undefined then.
 */
export function parseLineObject(text: string, stats: LineStats): Record<string, unknown> | undefined {
  let line = text;
  if (line.charCodeAt(0) === 0xfeff) {
    line = line.slice(1);
    stats.warning('bom');
  }
  if (line.charCodeAt(line.length - 1) === 13 /* \r */) line = line.slice(0, -1);
  if (isBlank(line)) {
    stats.empty();
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    stats.invalidLine('json_syntax');
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    stats.invalidLine('not_object');
    return undefined;
  }
  return parsed as Record<string, unknown>;
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
