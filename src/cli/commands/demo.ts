import { COMMANDS } from './index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { choiceFlag, helpText, numberFlag, parseCommand, type CommandFlag } from '../args.js';
import { createLogger } from '../../log/logger.js';
import { startSimulator, SHAPES } from '../../simulator/index.js';
import type { Command } from './command.js';
import { serveUntilSignal } from './lifecycle.js';

const FLAGS: CommandFlag[] = [
  { flag: 'rate', type: 'string', arg: 'N', help: 'Simulated requests per second.', default: '20' },
  { flag: 'shape', type: 'string', arg: 'NAME', help: `Log shape the simulator writes: ${[...SHAPES, 'mixed'].join(', ')}.`, default: 'flat' },
  { flag: 'burst-every', type: 'string', arg: 'SECONDS', help: 'Mean seconds between simulated error bursts (OOM, timeouts).', default: '60' },
  { flag: 'seed', type: 'string', arg: 'N', help: 'Simulator seed (the same seed writes the same traffic).', default: '1' },
  { flag: 'duration', type: 'string', arg: 'SECONDS', help: 'Stop by itself after this long (default: run until Ctrl-C).' },
];

export const demoCommand: Command = {
  summary: COMMANDS['demo'].summary,
  async run(argv, env) {
    const cmd = parseCommand(argv, FLAGS, env);
    if (cmd.help) {
      process.stdout.write(helpText('llmtail demo [FLAGS]', demoCommand.summary, FLAGS));
      return 0;
    }
    const rate = numberFlag(cmd.flags, 'rate', 20);
    const burstEvery = numberFlag(cmd.flags, 'burst-every', 60);
    const seed = numberFlag(cmd.flags, 'seed', 1);
    const duration = cmd.flags.duration === undefined ? undefined : numberFlag(cmd.flags, 'duration', 0);
    const shape = choiceFlag(cmd.flags, 'shape', [...SHAPES, 'mixed'] as const, 'flat');

    const dir = mkdtempSync(path.join(tmpdir(), 'llmtail-demo-'));
    const logPath = path.join(dir, 'requests.jsonl');
    const config = { ...cmd.config, inputs: [logPath], from_beginning: true, default_model: cmd.config.default_model };
    const log = createLogger(config.log.level, config.log.format);
    const simulator = await startSimulator({ path: logPath, ratePerSecond: rate, shape, seed, burstEverySeconds: burstEvery, malformedFraction: 0.002 });
    return serveUntilSignal(config, log, {
      stopAfterMs: duration === undefined ? undefined : duration * 1000,
      cleanup: async () => {
        await simulator.stop();
        rmSync(dir, { recursive: true, force: true });
      },
      onListening: (port) => {
        const base = `http://localhost:${port}`;
        process.stdout.write(
          `llmtail demo: simulating ${rate} requests/s (${shape} log shape, an error burst about every ${burstEvery} s)\n` +
            `  log file:  ${logPath}\n` +
            (config.ui.enabled ? `  live page: ${base}/\n` : '') +
            `  metrics:   ${base}${config.web.telemetry_path}\n` +
            `  health:    ${base}/healthz  ${base}/readyz\n` +
            (config.anomaly.enabled ? `  incidents: ${base}/api/incidents   (error bursts with their templates; the first within about ${burstEvery} s)\n` : '') +
            `Scrape it with Prometheus, or: curl -s ${base}${config.web.telemetry_path} | grep llmtail_requests_total\n` +
            `Ctrl-C to stop.\n`,
        );
      },
    });
  },
};
