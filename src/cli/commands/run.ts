import { ConfigError, helpText, parseCommand } from '../args.js';
import { createLogger } from '../../log/logger.js';
import { Sidecar } from '../../sidecar.js';
import { StateDirError } from '../../state/checkpoint-store.js';
import type { Command } from './command.js';
import { describeListenError, untilSignal, withDeadline } from './lifecycle.js';

const SHUTDOWN_BUDGET_MS = 4500;

export const runCommand: Command = {
  summary: 'Tail the configured logs and serve /metrics until SIGTERM or SIGINT (the default).',
  async run(argv, env) {
    const cmd = parseCommand(argv, [], env);
    if (cmd.help) {
      process.stdout.write(helpText('llmtail run [FLAGS]', runCommand.summary, []));
      return 0;
    }
    const { config } = cmd;
    if (config.inputs.length === 0 && !config.web.enable_ingest) {
      throw new ConfigError(['inputs is empty: expected at least one --input PATH|GLOB|- (or LLMTAIL_INPUTS, or --web.enable-ingest)']);
    }
    const log = createLogger(config.log.level, config.log.format);
    const sidecar = new Sidecar(config, log);
    const stopping = untilSignal(log);
    let port: number;
    try {
      port = await sidecar.start();
    } catch (err) {
      await sidecar.stop();
      throw err instanceof StateDirError ? err : describeListenError(err, config.web.listen_address);
    }
    log.info({ address: config.web.listen_address, port, telemetry_path: config.web.telemetry_path, inputs: config.inputs, preset: config.preset, state_dir: config.state_dir || undefined }, 'llmtail started');
    if (config.state_dir === '') log.info('no --state-dir: after a restart, counters start again from 0 and files are read from their end');
    await stopping;
    await withDeadline(sidecar.stop(), SHUTDOWN_BUDGET_MS, log, 'shutdown');
    log.info('stopped');
    return 0;
  },
};
