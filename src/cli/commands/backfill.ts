import { COMMANDS } from './index.js';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { helpText, numberFlag, parseCommand, UsageError, type CommandFlag } from '../args.js';
import { Backfill } from '../../backfill/backfill.js';
import { FamilySpool } from '../../backfill/family-spool.js';
import { createLogger } from '../../log/logger.js';
import { Sidecar } from '../../sidecar.js';
import type { Command } from './command.js';
import { offlineConfig, readInputs } from './offline.js';

const FLAGS: CommandFlag[] = [
  { flag: 'out', type: 'string', arg: 'FILE', help: 'Write the OpenMetrics text here (- for stdout). Required.' },
  { flag: 'step', type: 'string', arg: 'SECONDS', help: 'Seconds of event time between samples, like a scrape interval; samples sit on multiples of it.', default: '60' },
  { flag: 'max-steps', type: 'string', arg: 'N', help: 'Stop with an error instead of writing more steps than this (first to last event time; 20160 is 14 days at 60 s).', default: '20160' },
  { flag: 'job', type: 'string', arg: 'NAME', help: 'job label on every series (the shipped dashboards select by job).', default: 'llmtail' },
  { flag: 'instance', type: 'string', arg: 'NAME', help: 'instance label on every series; keep it apart from the live sidecar\'s.', default: 'backfill' },
];

const NOTES = `
The sample set at step T holds the state after every line with event time <= T. Every step from the
first line's to the last line's is written, quiet hours included, so series do not go stale; the
last one (at or just after the last event time) equals replay's totals. A line without a timestamp
is counted at the last event time seen; a line earlier than a step already written is counted in
the next step. Process, GPU, file, checkpoint, summarizer and Alertmanager families are left out.
Families are spooled to temporary files next to --out (about the output's size again) and written
whole at the end, followed by # EOF. Import: promtool tsdb create-blocks-from openmetrics FILE DIR.
`;

export const backfillCommand: Command = {
  summary: COMMANDS['backfill'].summary,
  async run(argv, env) {
    const cmd = parseCommand(argv, FLAGS, env, { allowPositionals: true });
    if (cmd.help) {
      process.stdout.write(helpText('llmtail backfill FILE... --out FILE [FLAGS]', backfillCommand.summary, FLAGS) + NOTES);
      return 0;
    }
    if (cmd.positionals.length === 0) throw new UsageError('backfill needs at least one FILE (or - for stdin)');
    const outPath = cmd.flags.out;
    if (typeof outPath !== 'string' || outPath === '') throw new UsageError('backfill needs --out FILE (or --out - for stdout)');
    const stepSeconds = numberFlag(cmd.flags, 'step', 60);
    if (!Number.isInteger(stepSeconds) || stepSeconds < 1) throw new UsageError(`--step ${String(cmd.flags.step)}: expected a whole number of seconds >= 1`);
    const maxSteps = numberFlag(cmd.flags, 'max-steps', 20160);
    const labels = [
      ['job', (cmd.flags.job as string | undefined) ?? 'llmtail'],
      ['instance', (cmd.flags.instance as string | undefined) ?? 'backfill'],
    ] as const;

    const log = createLogger(cmd.config.log.level, cmd.config.log.format);
    // The same sidecar replay builds, so every family replay exposes is here too.
    const sidecar = new Sidecar(offlineConfig(cmd.config), log, { processMetrics: false, gpu: false, timing: 'replay' });
    const spool = new FamilySpool(outPath === '-' ? tmpdir() : dirname(resolve(outPath)));
    try {
      const backfill = new Backfill(sidecar, spool, { stepSeconds, maxSteps, labels });
      await readInputs(cmd.positionals, backfill);
      const last = backfill.finish();
      if (last === undefined) {
        log.error('no line had an event time (timestamp): nothing to backfill');
        return 1;
      }
      // Opened only now: a failed run leaves no half-written file behind.
      const out: Writable = outPath === '-' ? process.stdout : createWriteStream(outPath);
      await backfill.writeTo(out);
      if (out !== process.stdout) {
        out.end();
        await once(out, 'finish');
      }
      log.info({ steps: backfill.steps, last_step: new Date(last * 1000).toISOString(), lines: sidecar.pipeline.stats.total() }, 'backfill written');
      return 0;
    } finally {
      spool.dispose();
    }
  },
};
