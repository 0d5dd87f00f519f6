import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CONFIG_FLAGS, type ConfigFlag } from '../config/flags.js';
import { configKeys, ConfigError, envLayer, fileLayer, flagLayer, resolveConfig, type Layer } from '../config/load.js';
import type { Config } from '../config/schema.js';

/** A flag of one command only (not a config key). */
export interface CommandFlag {
  flag: string;
  type: 'string' | 'boolean';
  arg?: string;
  help: string;
  default?: string;
}

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedCommand {
  config: Config;
  /** Command-only flag values. */
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
  help: boolean;
}

/**
 * Parse a command's arguments: --config, the config flags, and the command's own flags; then
 * resolve the configuration from file, environment and flags (flags win).
 */
export function parseCommand(
  argv: readonly string[],
  commandFlags: readonly CommandFlag[],
  env: NodeJS.ProcessEnv,
  options: { allowPositionals?: boolean; configFlags?: boolean; defaults?: Layer } = {},
): ParsedCommand {
  const withConfig = options.configFlags ?? true;
  const spec: Options = { help: { type: 'boolean', short: 'h' } };
  if (withConfig) {
    spec.config = { type: 'string' };
    for (const f of CONFIG_FLAGS) spec[f.flag] = { type: f.type === 'boolean' ? 'boolean' : 'string', multiple: f.type === 'list' };
  }
  for (const f of commandFlags) spec[f.flag] = { type: f.type };

  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: spec, allowPositionals: options.allowPositionals ?? false, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const flags: Record<string, string | boolean | undefined> = {};
  for (const f of commandFlags) flags[f.flag] = values[f.flag] as string | boolean | undefined;
  if (values.help === true) return { config: undefined as unknown as Config, flags, positionals: parsed.positionals, help: true };

  const layers: Layer[] = [];
  if (options.defaults !== undefined) layers.push(options.defaults);
  const configPath = (values.config as string | undefined) ?? env.LLMTAIL_CONFIG;
  if (withConfig && configPath !== undefined) layers.push(fileLayer(configPath));
  layers.push(envLayer(env));
  if (withConfig) layers.push(flagLayer(CONFIG_FLAGS.filter((f) => values[f.flag] !== undefined).map((f) => ({ key: f.key, flag: f.flag, value: flagValue(f, values[f.flag]) }))));
  return { config: resolveConfig(layers), flags, positionals: parsed.positionals, help: false };
}

/** A command flag that must be a non-negative number; `fallback` when absent. */
export function numberFlag(flags: ParsedCommand['flags'], name: string, fallback: number): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name} ${String(raw)}: expected a non-negative number`);
  return n;
}

/** A command flag that must be one of `choices`; `fallback` when absent. */
export function choiceFlag<T extends string>(flags: ParsedCommand['flags'], name: string, choices: readonly T[], fallback: T): T {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  if (!(choices as readonly unknown[]).includes(raw)) throw new UsageError(`--${name} ${String(raw)}: expected one of ${choices.join(', ')}`);
  return raw as T;
}

function flagValue(f: ConfigFlag, raw: string | string[] | boolean | undefined): unknown {
  switch (f.type) {
    case 'int':
      return raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    case 'csv':
      return String(raw)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'boolean':
      return f.negate === true ? raw !== true : raw;
    default:
      return raw;
  }
}

/** Help text for a command: usage line, its own flags, then the config flags with their defaults. */
export function helpText(usage: string, summary: string, commandFlags: readonly CommandFlag[], configFlags = true): string {
  const keys = new Map(configKeys().map((k) => [k.key, k]));
  const rows: [string, string][] = commandFlags.map((f) => [`--${f.flag}${f.arg ? ` ${f.arg}` : ''}`, f.help + (f.default !== undefined ? ` (default ${f.default})` : '')]);
  if (configFlags) {
    rows.push(['--config FILE', 'YAML configuration file (env LLMTAIL_CONFIG). Precedence: flags > environment > file.']);
    for (const f of CONFIG_FLAGS) {
      const k = keys.get(f.key);
      const def = k?.default === undefined || f.negate === true ? '' : ` (default ${JSON.stringify(k.default)})`;
      rows.push([`--${f.flag}${f.arg ? ` ${f.arg}` : ''}`, `${k?.description ?? ''}${def} [${k?.env ?? ''}]`]);
    }
  }
  rows.push(['-h, --help', 'Show this help.']);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return `Usage: ${usage}\n\n${summary}\n\nFlags:\n${rows.map(([a, b]) => `  ${a.padEnd(width)}${b}`).join('\n')}\n`;
}

export { ConfigError };
