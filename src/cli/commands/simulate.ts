import { COMMANDS } from './index.js';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { choiceFlag, helpText, numberFlag, parseCommand, UsageError, type CommandFlag } from '../args.js';
import { generate, SHAPES, startSimulator, type Shape } from '../../simulator/index.js';
import type { Command } from './command.js';

const FLAGS: CommandFlag[] = [
  { flag: 'lines', type: 'string', arg: 'N', help: 'How many lines to write (without --follow).', default: '1000' },
  { flag: 'shape', type: 'string', arg: 'NAME', help: `Log shape: ${[...SHAPES, 'mixed'].join(', ')}.`, default: 'flat' },
  { flag: 'rate', type: 'string', arg: 'N', help: 'Simulated requests per second (sets the timestamps and load; with --follow, lines written per second).', default: '50' },
  { flag: 'seed', type: 'string', arg: 'N', help: 'Seed; the same seed writes the same lines.', default: '1' },
  { flag: 'malformed', type: 'string', arg: 'FRACTION', help: 'Fraction of malformed lines.', default: '0' },
  { flag: 'out', type: 'string', arg: 'FILE', help: 'Write here instead of stdout (required with --follow).' },
  { flag: 'follow', type: 'boolean', help: 'Write in real time, appending to --out at --rate lines/s until SIGTERM/SIGINT or --duration: an inference server stand-in.' },
  { flag: 'rotate-every', type: 'string', arg: 'SECONDS', help: 'With --follow: rotate like logrotate (rename --out to FILE.1, create a new FILE) this often.' },
  { flag: 'burst-every', type: 'string', arg: 'SECONDS', help: 'With --follow: mean seconds between simulated error bursts.', default: '60' },
  { flag: 'duration', type: 'string', arg: 'SECONDS', help: 'With --follow: stop after this long (default: until SIGTERM/SIGINT).' },
];

export const simulateCommand: Command = {
  summary: COMMANDS['simulate'].summary,
  async run(argv, env) {
    const cmd = parseCommand(argv, FLAGS, env, { configFlags: false });
    if (cmd.help) {
      process.stdout.write(helpText('llmtail simulate [FLAGS]', simulateCommand.summary, FLAGS, false));
      return 0;
    }
    const num = (flag: string, fallback: number) => numberFlag(cmd.flags, flag, fallback);
    const shape = choiceFlag(cmd.flags, 'shape', [...SHAPES, 'mixed'] as const, 'flat');
    if (cmd.flags.follow === true) return follow(cmd.flags, shape, num);
    for (const flag of ['rotate-every', 'duration']) {
      if (cmd.flags[flag] !== undefined) throw new UsageError(`--${flag} needs --follow`);
    }
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

/**
 * Real-time mode: the same writer as `llmtail demo` (whole lines per write, Poisson arrivals), so a
 * container can play the inference server in deploy/compose and deploy/kubernetes.
 */
async function follow(
  flags: Record<string, string | boolean | undefined>,
  shape: Shape | 'mixed',
  num: (flag: string, fallback: number) => number,
): Promise<number> {
  const out = flags.out;
  if (typeof out !== 'string' || out === '' || out === '-') throw new UsageError('--follow needs --out FILE (a file a tailer can follow and rotate)');
  const rotateEvery = flags['rotate-every'] === undefined ? undefined : num('rotate-every', 0);
  if (rotateEvery !== undefined && rotateEvery <= 0) throw new UsageError('--rotate-every: expected a positive number of seconds');
  const duration = flags.duration === undefined ? undefined : num('duration', 0);
  const rate = num('rate', 50);
  const stopped = new AbortController();
  const stop = (): void => stopped.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const timer = duration === undefined ? undefined : setTimeout(stop, duration * 1000);
  let errors = 0;
  const simulator = await startSimulator({
    path: out,
    ratePerSecond: rate,
    shape,
    seed: num('seed', 1),
    malformedFraction: num('malformed', 0),
    burstEverySeconds: num('burst-every', 60),
    rotateEveryMs: rotateEvery === undefined ? undefined : rotateEvery * 1000,
    onError: (err) => {
      // Said once, then counted: a full disk must not flood the log.
      if (errors++ === 0) process.stderr.write(`llmtail simulate: ${err.message} (further errors are counted in the final stats)\n`);
    },
  });
  process.stderr.write(`llmtail simulate: writing ${rate} lines/s to ${out}${rotateEvery === undefined ? '' : `, rotating every ${rotateEvery} s`}\n`);
  if (!stopped.signal.aborted) await once(stopped.signal, 'abort');
  if (timer !== undefined) clearTimeout(timer);
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  await simulator.stop();
  const { bursting: _b, ...stats } = simulator.stats();
  process.stderr.write(`${JSON.stringify({ msg: 'llmtail simulate stopped', ...stats })}\n`);
  return stats.writeErrors > 0 ? 1 : 0;
}
