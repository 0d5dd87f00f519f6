import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { helpText, parseCommand, UsageError, type CommandFlag } from '../args.js';
import { createLogger } from '../../log/logger.js';
import { Sidecar } from '../../sidecar.js';
import { startSimulator, SHAPES, type Shape } from '../../simulator/index.js';
import type { Command } from './command.js';
import { describeListenError, untilSignal, withDeadline } from './lifecycle.js';

const FLAGS: CommandFlag[] = [
  { flag: 'rate', type: 'string', arg: 'N', help: 'Simulated requests per second.', default: '20' },
  { flag: 'shape', type: 'string', arg: 'NAME', help: `Log shape the simulator writes: ${[...SHAPES, 'mixed'].join(', ')}.`, default: 'flat' },
  { flag: 'burst-every', type: 'string', arg: 'SECONDS', help: 'Mean seconds between simulated error bursts (OOM, timeouts).', default: '60' },
  { flag: 'seed', type: 'string', arg: 'N', help: 'Simulator seed (the same seed writes the same traffic).', default: '1' },
  { flag: 'duration', type: 'string', arg: 'SECONDS', help: 'Stop by itself after this long (default: run until Ctrl-C).' },
];

export const demoCommand: Command = {
  summary: 'Run the sidecar on built-in simulated Qwen inference traffic and print the URLs to open.',
  async run(argv, env) {
    const cmd = parseCommand(argv, FLAGS, env);
    if (cmd.help) {
      process.stdout.write(helpText('llmtail demo [FLAGS]', demoCommand.summary, FLAGS));
      return 0;
    }
    const rate = positive(cmd.flags.rate, 'rate', 20);
    const burstEvery = positive(cmd.flags['burst-every'], 'burst-every', 60);
    const seed = positive(cmd.flags.seed, 'seed', 1);
    const duration = cmd.flags.duration === undefined ? undefined : positive(cmd.flags.duration, 'duration', 0);
    const shape = (cmd.flags.shape as string | undefined) ?? 'flat';
    if (![...SHAPES, 'mixed'].includes(shape)) throw new UsageError(`--shape ${shape}: expected one of ${[...SHAPES, 'mixed'].join(', ')}`);

    const dir = mkdtempSync(path.join(tmpdir(), 'llmtail-demo-'));
    const logPath = path.join(dir, 'requests.jsonl');
    const config = { ...cmd.config, inputs: [logPath], from_beginning: true, default_model: cmd.config.default_model };
    const log = createLogger(config.log.level, config.log.format);
    const simulator = await startSimulator({ path: logPath, ratePerSecond: rate, shape: shape as Shape | 'mixed', seed, burstEverySeconds: burstEvery, malformedFraction: 0.002 });
    const sidecar = new Sidecar(config, log);
    const stopping = untilSignal(log);
    let port: number;
    try {
      port = await sidecar.start();
    } catch (err) {
      await simulator.stop();
      await sidecar.stop();
      rmSync(dir, { recursive: true, force: true });
      throw describeListenError(err, config.web.listen_address);
    }
    log.info({ address: config.web.listen_address, port, telemetry_path: config.web.telemetry_path, inputs: config.inputs, preset: config.preset }, 'llmtail started');
    const base = `http://localhost:${port}`;
    process.stdout.write(
      `llmtail demo: simulating ${rate} requests/s (${shape} log shape, an error burst about every ${burstEvery} s)\n` +
        `  log file:  ${logPath}\n` +
        `  metrics:   ${base}${config.web.telemetry_path}\n` +
        `  health:    ${base}/healthz  ${base}/readyz\n` +
        `Scrape it with Prometheus, or: curl -s ${base}${config.web.telemetry_path} | grep llmtail_requests_total\n` +
        `Ctrl-C to stop.\n`,
    );
    const timer = duration === undefined ? undefined : setTimeout(() => process.kill(process.pid, 'SIGTERM'), duration * 1000);
    await stopping;
    if (timer !== undefined) clearTimeout(timer);
    await withDeadline(Promise.all([simulator.stop(), sidecar.stop()]), 4500, log, 'shutdown');
    rmSync(dir, { recursive: true, force: true });
    return 0;
  },
};

function positive(raw: string | boolean | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${flag} ${String(raw)}: expected a non-negative number`);
  return n;
}
