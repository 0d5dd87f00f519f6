import { stripControls } from '../escape.js';
import type { Report } from '../report-data.js';
import { cellWidth, terminalCell } from './cell.js';
import { reportSections, reportTitle, type Block, type SectionOptions } from './sections.js';

/** Plain text for a terminal: aligned columns, numbers right-aligned, no color, no control characters. */
export function formatTable(report: Report, options: SectionOptions): string {
  const title = stripControls(reportTitle(report));
  const out: string[] = [title, '='.repeat(Math.min(100, title.length)), ''];
  for (const section of reportSections(report, options)) {
    if (section.title !== '') out.push(stripControls(section.title), '-'.repeat(Math.min(100, section.title.length)));
    for (const block of section.blocks) out.push(...renderBlock(block), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function renderBlock(block: Block): string[] {
  switch (block.kind) {
    case 'facts': {
      const width = Math.max(...block.rows.map(([k]) => k.length));
      return block.rows.map(([k, v]) => `  ${k.padEnd(width)}  ${stripControls(v)}`);
    }
    case 'note':
      return [`  ${stripControls(block.text)}`];
    case 'table':
      return alignedTable([block.header, ...block.rows].map((r) => r.map((cell) => terminalCell(cell, MAX_CELL_CHARS))), block.numeric);
  }
}

/** Cells longer than this (error templates) are cut, so a row still fits a wide terminal. */
const MAX_CELL_CHARS = 120;

/** Columns padded to their widest cell; a dashed rule under the header. */
export function alignedTable(rows: string[][], numeric: boolean[]): string[] {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => cellWidth(r[c] ?? ''))));
  const line = (r: string[]) =>
    `  ${r
      .map((cell, c) => {
        const pad = (widths[c] as number) - cellWidth(cell);
        return numeric[c] ? ' '.repeat(pad) + cell : cell + ' '.repeat(pad);
      })
      .join('  ')
      .trimEnd()}`;
  const [header, ...body] = rows;
  return [line(header ?? []), `  ${widths.map((w) => '-'.repeat(w)).join('  ')}`, ...body.map(line)];
}
