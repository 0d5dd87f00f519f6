import { stripControls } from '../escape.js';

/**
 * Log text as one cell of a terminal table: no control characters (a newline in a model name
 * would break the row), and at most `max` code points, the last one an ellipsis when cut, so one
 * long value cannot widen a column past a terminal. Counts code points, so a pair is never split.
 */
export function terminalCell(text: string, max: number): string {
  const clean = stripControls(text);
  if (clean.length <= max) return clean;
  const chars = [...clean];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : clean;
}

/** Width of a cell in code points (what terminalCell bounds). */
export function cellWidth(cell: string): number {
  let n = 0;
  for (const _ of cell) n++;
  return n;
}
