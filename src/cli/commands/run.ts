import { COMMANDS } from './index.js';
import { ConfigError, helpText, parseCommand } from '../args.js';
import { createLogger } from '../../log/logger.js';
import type { Command } from './command.js';
import { serveUntilSignal } from './lifecycle.js';

export const runCommand: Command = {
  summary: COMMANDS['run'].summary,
  async run(argv, env) {
    const cmd = parseCommand(argv, [], env);
    if (cmd.help) {
      process.stdout.write(helpText('llmtail run [FLAGS]', runCommand.summary, []));
      return 0;
    }
    const { config } = cmd;
    if (config.inputs.length === 0 && !config.web.enable_ingest && !config.web.enable_otlp) {
      throw new ConfigError(['inputs is empty: expected at least one --input PATH|GLOB|- (or LLMTAIL_INPUTS, --web.enable-ingest or --web.enable-otlp)']);
    }
    const log = createLogger(config.log.level, config.log.format);
    return serveUntilSignal(config, log, {
      onListening: () => {
        if (config.state_dir === '') log.info('no --state-dir: after a restart, counters start again from 0 and files are read from their end');
      },
    });
  },
};
