import { COMMANDS } from './index.js';
import { choiceFlag, helpText, parseCommand, UsageError, type CommandFlag } from '../args.js';
import { formatSummary } from '../../exposition/summary.js';
import { createLogger } from '../../log/logger.js';
import { Sidecar } from '../../sidecar.js';
import { replayFile } from '../../sources/file-replay.js';
import { StreamSource } from '../../sources/stream-source.js';
import type { Command } from './command.js';

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
    // Old lines must not page anyone or cost model calls: no summarizer, no Alertmanager.
    const config = {
      ...cmd.config,
      inputs: [],
      web: { ...cmd.config.web, enable_ingest: false, enable_otlp: false },
      summarizer: { ...cmd.config.summarizer, base_url: '' },
      alertmanager: { ...cmd.config.alertmanager, url: '' },
    };
    const sidecar = new Sidecar(config, log, { processMetrics: false, gpu: false, timing: 'replay' });
    for (const file of cmd.positionals) {
      if (file === '-') {
        const stdin = StreamSource.stdin(sidecar.pipeline);
        await stdin.start();
        await stdin.done;
        continue;
      }
      try {
        await replayFile(file, sidecar.pipeline);
      } catch (err) {
        throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    const out =
      format === 'summary' ? formatSummary(sidecar.requestMetrics, sidecar.pipeline.stats) : await sidecar.registry.render(format === 'openmetrics');
    await new Promise<void>((resolve) => process.stdout.write(out, () => resolve()));
    return 0;
  },
};
