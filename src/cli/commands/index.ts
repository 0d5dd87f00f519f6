import type { Command } from './command.js';

/**
 * Every `llmtail` subcommand: its one-line summary (for the usage text and its own --help) and how
 * to load it. Loaded on demand, so `llmtail healthcheck` — run by the container every 30 s — does
 * not pay for express, the OpenAI SDK and the metrics library it never uses.
 */
export interface CommandEntry {
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS = {
  run: {
    summary: 'Tail the configured logs and serve /metrics until SIGTERM or SIGINT (the default).',
    load: async () => (await import('./run.js')).runCommand,
  },
  demo: {
    summary: 'Run the sidecar on built-in simulated Qwen inference traffic and print the URLs to open.',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  replay: {
    summary: 'Push files (or - for stdin) through the pipeline to their end, print the metrics and exit.',
    load: async () => (await import('./replay.js')).replayCommand,
  },
  report: {
    summary: 'Read log files (or - for stdin; .gz too) through the pipeline and print a report: latency and TTFT percentiles, tokens, errors, quality, per model.',
    load: async () => (await import('./report.js')).reportCommand,
  },
  backfill: {
    summary: 'Write the metrics the sidecar would have exposed for log files, as OpenMetrics with a sample every --step of event time, for promtool tsdb create-blocks-from openmetrics.',
    load: async () => (await import('./backfill.js')).backfillCommand,
  },
  'check-config': {
    summary: 'Validate the configuration (file, environment, flags) and print the effective one.',
    load: async () => (await import('./check-config.js')).checkConfigCommand,
  },
  simulate: {
    summary: 'Write simulated inference request logs (for trying mappings, tests and benchmarks), or follow in real time.',
    load: async () => (await import('./simulate.js')).simulateCommand,
  },
  healthcheck: {
    summary: 'Exit 0 when the llmtail configured here answers /healthz (the container HEALTHCHECK; follows TLS and auth).',
    load: async () => (await import('./healthcheck.js')).healthcheckCommand,
  },
} satisfies Record<string, CommandEntry>;

export type CommandName = keyof typeof COMMANDS;
