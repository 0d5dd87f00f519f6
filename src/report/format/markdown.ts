import { stripControls } from '../escape.js';
import type { Report } from '../report-data.js';
import { reportSections, reportTitle, type Block, type SectionOptions } from './sections.js';

/** Markdown for a ticket or a pull request: headings, pipe tables, notes as paragraphs. */
export function formatMarkdown(report: Report, options: SectionOptions): string {
  const out: string[] = [`# ${inline(reportTitle(report))}`, ''];
  for (const section of reportSections(report, options)) {
    if (section.title !== '') out.push(`## ${inline(section.title)}`, '');
    for (const block of section.blocks) out.push(...renderBlock(block), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function renderBlock(block: Block): string[] {
  switch (block.kind) {
    case 'facts':
      return table(['', ''], block.rows.map(([k, v]) => [`**${inline(k)}**`, inline(v)]), [false, false]);
    case 'note':
      return [inline(block.text)];
    case 'table':
      return table(block.header.map(inline), block.rows.map((r) => r.map(inline)), block.numeric);
  }
}

function table(header: string[], rows: string[][], numeric: boolean[]): string[] {
  const rule = header.map((_, c) => (numeric[c] ? '---:' : '---'));
  return [`| ${header.join(' | ')} |`, `| ${rule.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/**
 * Log text made inert in Markdown: no control characters, HTML and Markdown punctuation escaped
 * (a template like `<script>` or `*` must show as written), pipes escaped for tables.
 */
export function inline(text: string): string {
  return stripControls(text)
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;');
}
