import { COMMANDS } from './index.js';
import { choiceFlag, helpText, parseCommand, UsageError, type CommandFlag } from '../args.js';
import { formatSummary } from '../../exposition/summary.js';
import { createLogger } from '../../log/logger.js';
import { Sidecar } from '../../sidecar.js';
import type { Command } from './command.js';
import { offlineConfig, readInputs } from './offline.js';

const FLAGS: CommandFlag[] = [
  { flag: 'format', type: 'string', arg: 'FORMAT', help: 'Output: prometheus (text exposition), openmetrics, or summary (a table).', default: 'prometheus' },
];
const FORMATS = ['prometheus', 'openmetrics', 'summary'] as const;

export const replayCommand: Command = {
  summary: COMMANDS['replay'].summary,
  async run(argv, env) {
    const cmd = parseCommand(argv, FLAGS, env, { allowPositionals: true });
    if (cmd.help) {
      process.stdout.write(helpText('llmtail replay FILE... [FLAGS]', replayCommand.summary, FLAGS));
      return 0;
    }
    const format = choiceFlag(cmd.flags, 'format', FORMATS, 'prometheus');
    if (cmd.positionals.length === 0) throw new UsageError('replay needs at least one FILE (or - for stdin)');

    const log = createLogger(cmd.config.log.level, cmd.config.log.format);
    // Replay reads only the named files; process metrics would make the output depend on the run.
    const sidecar = new Sidecar(offlineConfig(cmd.config), log, { processMetrics: false, gpu: false, timing: 'replay' });
    await readInputs(cmd.positionals, sidecar.pipeline);
    const out =
      format === 'summary' ? formatSummary(sidecar.requestMetrics, sidecar.pipeline.stats) : await sidecar.registry.render(format === 'openmetrics');
    await new Promise<void>((resolve) => process.stdout.write(out, () => resolve()));
    return 0;
  },
};
