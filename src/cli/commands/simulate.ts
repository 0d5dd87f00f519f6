import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { choiceFlag, helpText, numberFlag, parseCommand, type CommandFlag } from '../args.js';
import { generate, SHAPES } from '../../simulator/index.js';
import type { Command } from './command.js';

const FLAGS: CommandFlag[] = [
  { flag: 'lines', type: 'string', arg: 'N', help: 'How many lines to write.', default: '1000' },
  { flag: 'shape', type: 'string', arg: 'NAME', help: `Log shape: ${[...SHAPES, 'mixed'].join(', ')}.`, default: 'flat' },
  { flag: 'rate', type: 'string', arg: 'N', help: 'Simulated requests per second (sets the timestamps and load).', default: '50' },
  { flag: 'seed', type: 'string', arg: 'N', help: 'Seed; the same seed writes the same lines.', default: '1' },
  { flag: 'malformed', type: 'string', arg: 'FRACTION', help: 'Fraction of malformed lines.', default: '0' },
  { flag: 'out', type: 'string', arg: 'FILE', help: 'Write here instead of stdout.' },
];

export const simulateCommand: Command = {
  summary: 'Write simulated inference request logs (for trying mappings, tests and benchmarks).',
  async run(argv, env) {
    const cmd = parseCommand(argv, FLAGS, env, { configFlags: false });
    if (cmd.help) {
      process.stdout.write(helpText('llmtail simulate [FLAGS]', simulateCommand.summary, FLAGS, false));
      return 0;
    }
    const num = (flag: string, fallback: number) => numberFlag(cmd.flags, flag, fallback);
    const shape = choiceFlag(cmd.flags, 'shape', [...SHAPES, 'mixed'] as const, 'flat');
    const out = cmd.flags.out === undefined ? process.stdout : createWriteStream(cmd.flags.out as string);
    let batch = '';
    for (const { line } of generate({ lines: num('lines', 1000), shape, ratePerSecond: num('rate', 50), seed: num('seed', 1), malformedFraction: num('malformed', 0) })) {
      batch += `${line}\n`;
      if (batch.length > 1 << 16) {
        if (!out.write(batch)) await once(out, 'drain');
        batch = '';
      }
    }
    out.write(batch);
    if (out !== process.stdout) {
      out.end();
      await once(out, 'finish');
    }
    return 0;
  },
};
