import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { configSchema, type Config } from './schema.js';

/**
 * Configuration comes in three layers — YAML file, LLMTAIL_* environment variables, flags — merged
 * in that order (flags win) and validated once by the schema. Every value remembers where it came
 * from, so an error can say "web.listen_address = "abc" (from flag --web.listen-address)".
 */

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Plain = Record<string, unknown>;
export interface Layer {
  values: Plain;
  /** Dotted key → human description of where it came from. */
  origin: Map<string, string>;
}

/** One leaf of the schema: a key settable from the environment and (maybe) a flag. */
export interface ConfigKey {
  path: string[];
  key: string;
  env: string;
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
  description: string;
  default: unknown;
}

let keysOfSchema: ConfigKey[] | undefined;

/** The schema's leaves, in declaration order, for env parsing, flags and docs (computed once: ~18 ms). */
export function configKeys(): ConfigKey[] {
  keysOfSchema ??= schemaLeaves();
  return keysOfSchema;
}

function schemaLeaves(): ConfigKey[] {
  const json = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const keys: ConfigKey[] = [];
  const walk = (node: JsonSchema, path: string[]) => {
    const props = node.properties;
    // Sections (web, log, …) hold settable leaves; mapping and buckets are structured values.
    const isSection = path.length === 0 || (path.length === 1 && !STRUCTURED.has(path[0] as string));
    if (node.type === 'object' && props !== undefined && isSection) {
      for (const [name, child] of Object.entries(props)) walk(child, [...path, name]);
      return;
    }
    keys.push({
      path,
      key: path.join('.'),
      env: `LLMTAIL_${path.join('_').toUpperCase()}`,
      type: (node.type ?? 'object') as ConfigKey['type'],
      description: node.description ?? '',
      default: node.default,
    });
  };
  walk(json, []);
  return keys;
}
const STRUCTURED = new Set(['mapping', 'buckets']);
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: unknown;
  description?: string;
  default?: unknown;
}

/**
 * The YAML parser, loaded only when a config file is given (~8 MiB of RSS a sidecar configured by
 * flags and environment never pays, issue 15); synchronously, as configuration loading is.
 */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text);
}

export function fileLayer(path: string): Layer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`config file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  let values: unknown;
  try {
    values = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError([`config file ${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new ConfigError([`config file ${path}: expected a mapping of keys at the top level`]);
  }
  const origin = new Map<string, string>();
  recordOrigins(values as Plain, [], `config file ${path}`, origin);
  return { values: values as Plain, origin };
}

export function envLayer(env: NodeJS.ProcessEnv): Layer {
  const values: Plain = {};
  const origin = new Map<string, string>();
  for (const k of configKeys()) {
    const raw = env[k.env];
    if (raw === undefined || k.type === 'object') continue;
    setPath(values, k.path, fromString(raw, k.type));
    origin.set(k.key, `environment ${k.env}`);
  }
  return { values, origin };
}

/** Values already typed by the flag parser, keyed by dotted config key. */
export function flagLayer(flags: ReadonlyArray<{ key: string; flag: string; value: unknown }>): Layer {
  const values: Plain = {};
  const origin = new Map<string, string>();
  for (const f of flags) {
    setPath(values, f.key.split('.'), f.value);
    origin.set(f.key, `flag --${f.flag}`);
  }
  return { values, origin };
}

/** Merge the layers (later wins) and validate. Throws ConfigError naming key, value, origin and expectation. */
export function resolveConfig(layers: readonly Layer[]): Config {
  const merged: Plain = {};
  const origin = new Map<string, string>();
  for (const layer of layers) {
    // Cloned, so merging never writes into a layer (a layer may be resolved again).
    deepMerge(merged, structuredClone(layer.values));
    for (const [k, v] of layer.origin) origin.set(k, v);
  }
  const result = configSchema.safeParse(merged, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, origin)));
}

export function describeIssue(issue: z.core.$ZodIssue, origin: Map<string, string>): string {
  const key = issue.path.map(String).join('.') || '(top level)';
  const from = originOf(issue.path.map(String), origin);
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? ` under ${key}` : '';
    const keyOrigin = originOf([...issue.path.map(String), issue.keys[0] as string], origin);
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}${where}${keyOrigin}: not a configuration key (see the configuration reference in README.md)`;
  }
  if (issue.code === 'invalid_union') {
    // Report the branch that got furthest into the value: its problem is the one the user meant.
    const deepest = issue.errors.flat().sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest !== undefined && deepest.path.length > 0) {
      return describeIssue({ ...deepest, path: [...issue.path, ...deepest.path] } as z.core.$ZodIssue, origin);
    }
  }
  const got = 'input' in issue && issue.input !== undefined ? ` = ${JSON.stringify(issue.input)}` : ' is missing';
  return `${key}${got}${from}: ${expectation(issue)}`;
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item(s)`;
      if (issue.origin === 'string') return Number(issue.minimum) === 1 ? 'expected a non-empty string' : `expected at least ${issue.minimum} characters`;
      return `expected ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'invalid_union':
      return 'expected a path string, or an object with path and optional unit and format';
    case 'too_big':
      return `expected ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

function originOf(path: string[], origin: Map<string, string>): string {
  for (let n = path.length; n > 0; n--) {
    const o = origin.get(path.slice(0, n).join('.'));
    if (o !== undefined) return ` (from ${o})`;
  }
  return '';
}

function recordOrigins(values: Plain, path: string[], where: string, origin: Map<string, string>): void {
  for (const [k, v] of Object.entries(values)) {
    const p = [...path, k];
    origin.set(p.join('.'), where);
    if (isPlain(v) && p.length < 2 && !STRUCTURED.has(k)) recordOrigins(v, p, where, origin);
  }
}

function fromString(raw: string, type: ConfigKey['type']): unknown {
  const s = raw.trim();
  switch (type) {
    case 'boolean':
      if (/^(true|1|yes)$/i.test(s)) return true;
      if (/^(false|0|no)$/i.test(s)) return false;
      return raw;
    case 'number':
    case 'integer':
      return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? Number(s) : raw;
    case 'array':
      return s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');
    default:
      return raw;
  }
}

function setPath(target: Plain, path: readonly string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i] as string;
    if (!isPlain(node[k])) node[k] = {};
    node = node[k] as Plain;
  }
  node[path[path.length - 1] as string] = value;
}

function deepMerge(target: Plain, source: Plain): void {
  for (const [k, v] of Object.entries(source)) {
    if (isPlain(v) && isPlain(target[k])) deepMerge(target[k] as Plain, v);
    else target[k] = v;
  }
}

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
