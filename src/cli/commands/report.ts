import { COMMANDS } from './index.js';
import { writeFile } from 'node:fs/promises';
import { choiceFlag, helpText, numberFlag, parseCommand, UsageError, type CommandFlag } from '../args.js';
import { formatHtml } from '../../report/format/html.js';
import { formatJson } from '../../report/format/json.js';
import { formatMarkdown } from '../../report/format/markdown.js';
import { formatTable } from '../../report/format/table.js';
import { PROGRESS_MODES } from '../../report/progress.js';
import type { Report } from '../../report/report-data.js';
import { DEFAULT_EXACT_VALUE_LIMIT, runReport } from '../../report/run-report.js';
import { VERSION } from '../../version.js';
import type { Command } from './command.js';

const FORMATS = ['table', 'json', 'markdown', 'html'] as const;
type Format = (typeof FORMATS)[number];

const FLAGS: CommandFlag[] = [
  { flag: 'format', type: 'string', arg: 'FORMAT', help: 'table (terminal), json (stable schema), markdown (tickets, PRs) or html (one self-contained file with charts). Default: from the --out extension (.json, .md, .html), else table.' },
  { flag: 'out', type: 'string', arg: 'FILE', help: 'Write the report to FILE instead of stdout.' },
  { flag: 'by-model', type: 'boolean', help: 'Add a full section per model (latency, tokens, errors, quality) to table, markdown and html.' },
  { flag: 'progress', type: 'string', arg: 'WHEN', help: 'Progress bar on stderr: auto (on a terminal, after 1 s), always, never.', default: 'auto' },
  {
    flag: 'exact-limit',
    type: 'string',
    arg: 'VALUES',
    help: 'Values kept for exact percentiles (8 bytes each); past it percentiles come from sketches within 1 % and the report says approximate.',
    default: String(DEFAULT_EXACT_VALUE_LIMIT),
  },
];

const EXTENSIONS: Record<string, Format> = { '.json': 'json', '.md': 'markdown', '.markdown': 'markdown', '.html': 'html', '.htm': 'html' };

export const reportCommand: Command = {
  summary: COMMANDS['report'].summary,
  async run(argv, env) {
    const cmd = parseCommand(argv, FLAGS, env, { allowPositionals: true });
    if (cmd.help) {
      process.stdout.write(helpText('llmtail report FILE... [FLAGS]', reportCommand.summary, FLAGS));
      return 0;
    }
    if (cmd.positionals.length === 0) throw new UsageError('report needs at least one FILE (or - for stdin)');
    const out = cmd.flags.out as string | undefined;
    if (out === '') throw new UsageError('--out needs a file name');
    const format = choiceFlag(cmd.flags, 'format', FORMATS, formatFromExtension(out));
    const progress = choiceFlag(cmd.flags, 'progress', PROGRESS_MODES, 'auto');
    const exactValueLimit = numberFlag(cmd.flags, 'exact-limit', DEFAULT_EXACT_VALUE_LIMIT);
    if (!Number.isInteger(exactValueLimit)) throw new UsageError(`--exact-limit ${exactValueLimit}: expected a whole number`);

    const report = await runReport({
      inputs: cmd.positionals,
      config: cmd.config,
      exactValueLimit,
      progress,
      progressStream: process.stderr,
      generator: `llmtail ${VERSION}`,
    });
    const text = render(report, format, cmd.flags['by-model'] === true);
    if (out !== undefined) await writeFile(out, text);
    else await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
    // A cut or corrupt gzip input still gives the report of its readable lines (exit 0), said
    // loudly here and in the report itself (`inputs[].warning`).
    for (const input of report.inputs) if (input.warning !== null) process.stderr.write(`llmtail report: warning: ${input.warning}\n`);
    return 0;
  },
};

function render(report: Report, format: Format, byModel: boolean): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'markdown':
      return formatMarkdown(report, { byModel });
    case 'html':
      return formatHtml(report, { byModel });
    case 'table':
      return formatTable(report, { byModel });
  }
}

function formatFromExtension(out: string | undefined): Format {
  if (out === undefined) return 'table';
  const dot = out.lastIndexOf('.');
  return (dot === -1 ? undefined : EXTENSIONS[out.slice(dot).toLowerCase()]) ?? 'table';
}
