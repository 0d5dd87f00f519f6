import { COMMANDS } from './index.js';
import { stringify } from 'yaml';
import { redactSecrets } from '../../summarizer/secrets.js';
import { loadWebSecurity } from '../../exposition/web/web-config.js';
import { helpText, parseCommand } from '../args.js';
import type { Command } from './command.js';

export const checkConfigCommand: Command = {
  summary: COMMANDS['check-config'].summary,
  async run(argv, env) {
    const cmd = parseCommand(argv, [], env);
    if (cmd.help) {
      process.stdout.write(helpText('llmtail check-config [FLAGS]', checkConfigCommand.summary, []));
      return 0;
    }
    // Validates the web config file too; only its path is printed, never its hashes.
    loadWebSecurity(cmd.config);
    process.stdout.write(`# llmtail effective configuration (valid)\n${stringify(redactSecrets(cmd.config))}`);
    return 0;
  },
};
