#!/usr/bin/env node
import { ConfigError, UsageError } from './args.js';
import { COMMANDS, type CommandEntry } from './commands/index.js';
import { StateDirError } from '../state/checkpoint-store.js';
import { VERSION } from '../version.js';

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return `llmtail ${VERSION}: LLM inference request logs in, Prometheus metrics out.

Usage: llmtail [COMMAND] [FLAGS]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`)
  .join('\n')}

With no command, llmtail runs (\`llmtail run\`). \`llmtail COMMAND --help\` describes each.
`;
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (first === '--version') {
    process.stdout.write(`llmtail ${VERSION}\n`);
    return 0;
  }
  const named = first !== undefined && !first.startsWith('-');
  const entry: CommandEntry | undefined = named ? (COMMANDS as Record<string, CommandEntry>)[first] : COMMANDS.run;
  if (entry === undefined) {
    process.stderr.write(`llmtail: unknown command "${first}"\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  return command.run(named ? rest : argv, process.env);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof StateDirError) {
      process.stderr.write(`llmtail: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof UsageError) {
      process.stderr.write(`llmtail: ${err.message}\nTry --help.\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`llmtail: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
