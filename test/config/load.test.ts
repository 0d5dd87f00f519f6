import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_FLAGS } from '../../src/config/flags.js';
import { ConfigError, configKeys, envLayer, fileLayer, flagLayer, resolveConfig, type Layer } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { Decoder } from '../../src/events/decoder.js';
import { LineStats } from '../../src/pipeline/line-stats.js';

const dir = mkdtempSync(join(tmpdir(), 'llmtail-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;

/** A YAML config file with `text`; returns its path. */
function yamlFile(text: string): string {
  const path = join(dir, `config-${++fileCount}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** A flag layer built like the CLI builds it: the flag named in CONFIG_FLAGS for `key`. */
function flags(values: Record<string, unknown>): Layer {
  return flagLayer(
    Object.entries(values).map(([key, value]) => {
      const f = CONFIG_FLAGS.find((c) => c.key === key);
      if (f === undefined) throw new Error(`no flag for ${key}`);
      return { key, flag: f.flag, value };
    }),
  );
}

/** The ConfigError resolving `layers` throws; fails the test when it does not throw one. */
function configError(layers: Layer[]): ConfigError {
  try {
    resolveConfig(layers);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('an empty configuration gets the documented defaults', () => {
    const c: Config = resolveConfig([]);
    expect(c.inputs).toEqual([]);
    expect(c.preset).toBe('auto');
    expect(c.default_model).toBe('unknown');
    expect(c.from_beginning).toBe(false);
    expect(c.web).toEqual({ listen_address: ':9838', telemetry_path: '/metrics', enable_ingest: false, ingest_max_body_bytes: 10 * 1024 * 1024,
      enable_otlp: false,
      otlp_max_body_bytes: 10 * 1024 * 1024,
      otlp_max_requests_per_second: 100,
      gzip: true,
      config_file: '',
      healthz_without_auth: false,
      ingest_max_requests_per_second: 100,
      max_concurrent_scrapes: 10,
      header_timeout_ms: 10_000,
      request_timeout_ms: 60_000,
      keep_alive_timeout_ms: 65_000,
    });
    expect(c.labels).toEqual({ allow: ['model', 'status'], max_values: 100, max_value_length: 128 });
    expect(c.lines.max_bytes).toBe(1024 * 1024);
    expect(c.limits).toEqual({ max_duration_seconds: 86_400, max_tokens: 10_000_000, max_gpu_memory_bytes: 2 ** 44 });
    expect(c.mapping).toBeUndefined();
  });
});

describe('precedence: flags > env > file', () => {
  const file = () => fileLayer(yamlFile('web:\n  listen_address: ":1001"\n  telemetry_path: /from-file\npreset: flat\n'));
  const env = () => envLayer({ LLMTAIL_WEB_LISTEN_ADDRESS: ':1002', LLMTAIL_PRESET: 'tgi' });
  const flag = () => flags({ 'web.listen_address': ':1003' });

  it('the file alone', () => {
    const c = resolveConfig([file()]);
    expect(c.web.listen_address).toBe(':1001');
    expect(c.preset).toBe('flat');
  });

  it('env over file', () => {
    const c = resolveConfig([file(), env()]);
    expect(c.web.listen_address).toBe(':1002');
    expect(c.preset).toBe('tgi');
    // Keys only the file sets survive the merge of the section.
    expect(c.web.telemetry_path).toBe('/from-file');
  });

  it('flags over env and file', () => {
    const c = resolveConfig([file(), env(), flag()]);
    expect(c.web.listen_address).toBe(':1003');
    expect(c.preset).toBe('tgi');
    expect(c.web.telemetry_path).toBe('/from-file');
  });

  it('flags over the file without env', () => {
    expect(resolveConfig([file(), flag()]).web.listen_address).toBe(':1003');
  });

  it('a later list value replaces, not appends', () => {
    const c = resolveConfig([fileLayer(yamlFile('inputs: [a.jsonl, b.jsonl]\n')), envLayer({ LLMTAIL_INPUTS: 'c.jsonl' })]);
    expect(c.inputs).toEqual(['c.jsonl']);
  });

  // Regression test (was a bug): resolveConfig mutates the layers it is given. deepMerge (src/config/load.ts) assigns a
  // layer's own section object into `merged` (`target[k] = v` when merged has no such section
  // yet), and the next layer is then merged into that same object. Resolving [file, env] writes the
  // env's web.listen_address into the file layer, so resolving [file] again afterwards (a reload,
  // or a shared `defaults` layer passed to parseCommand twice) returns the env value.
  it('resolving does not change the layers, so a layer can be resolved again', () => {
    const fileL = fileLayer(yamlFile('web:\n  telemetry_path: /m\n'));
    const before = JSON.stringify(fileL.values);
    expect(resolveConfig([fileL, envLayer({ LLMTAIL_WEB_LISTEN_ADDRESS: ':1234' })]).web.listen_address).toBe(':1234');
    expect(JSON.stringify(fileL.values)).toBe(before);
    expect(resolveConfig([fileL]).web.listen_address).toBe(':9838');
  });

  it('the origin in an error is the layer that set the value last', () => {
    const path = yamlFile('web:\n  listen_address: nonsense\n');
    expect(configError([fileLayer(path)]).message).toContain(`web.listen_address = "nonsense" (from config file ${path})`);
    expect(configError([fileLayer(path), envLayer({ LLMTAIL_WEB_LISTEN_ADDRESS: 'bad' })]).message).toContain(
      'web.listen_address = "bad" (from environment LLMTAIL_WEB_LISTEN_ADDRESS)',
    );
    expect(configError([fileLayer(path), envLayer({ LLMTAIL_WEB_LISTEN_ADDRESS: 'bad' }), flags({ 'web.listen_address': 'worse' })]).message).toContain(
      'web.listen_address = "worse" (from flag --web.listen-address)',
    );
  });
});

describe('environment', () => {
  it('names variables LLMTAIL_<KEY PATH>', () => {
    const envs = new Map(configKeys().map((k) => [k.key, k.env]));
    expect(envs.get('web.listen_address')).toBe('LLMTAIL_WEB_LISTEN_ADDRESS');
    expect(envs.get('inputs')).toBe('LLMTAIL_INPUTS');
    expect(envs.get('labels.max_values')).toBe('LLMTAIL_LABELS_MAX_VALUES');
    expect(envs.get('limits.max_duration_seconds')).toBe('LLMTAIL_LIMITS_MAX_DURATION_SECONDS');
  });

  it('parses strings, comma-separated lists, booleans and numbers', () => {
    const c = resolveConfig([
      envLayer({
        LLMTAIL_WEB_LISTEN_ADDRESS: '127.0.0.1:9999',
        LLMTAIL_INPUTS: ' /var/log/a.jsonl , /var/log/vllm/*.jsonl,- ',
        LLMTAIL_FROM_BEGINNING: 'true',
        LLMTAIL_WEB_ENABLE_INGEST: 'Yes',
        LLMTAIL_WEB_GZIP: 'no',
        LLMTAIL_EXEMPLARS: '0',
        LLMTAIL_LABELS_ALLOW: 'model,endpoint',
        LLMTAIL_LABELS_MAX_VALUES: '250',
        LLMTAIL_TAIL_POLL_INTERVAL_MS: ' 125 ',
        LLMTAIL_LIMITS_MAX_DURATION_SECONDS: '3600.5',
        LLMTAIL_DEFAULT_MODEL: 'llama-3-8b',
        LLMTAIL_LOG_LEVEL: 'debug',
      }),
    ]);
    expect(c.web.listen_address).toBe('127.0.0.1:9999');
    expect(c.inputs).toEqual(['/var/log/a.jsonl', '/var/log/vllm/*.jsonl', '-']);
    expect(c.from_beginning).toBe(true);
    expect(c.web.enable_ingest).toBe(true);
    expect(c.web.gzip).toBe(false);
    expect(c.exemplars).toBe(false);
    expect(c.labels.allow).toEqual(['model', 'endpoint']);
    expect(c.labels.max_values).toBe(250);
    expect(c.tail.poll_interval_ms).toBe(125);
    expect(c.limits.max_duration_seconds).toBe(3600.5);
    expect(c.default_model).toBe('llama-3-8b');
    expect(c.log.level).toBe('debug');
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['False', false],
    ['0', false],
    ['NO', false],
  ])('boolean %j → %s', (raw, expected) => {
    expect(resolveConfig([envLayer({ LLMTAIL_FROM_BEGINNING: raw })]).from_beginning).toBe(expected);
  });

  it('ignores unrelated variables and structured keys', () => {
    const layer = envLayer({ PATH: '/bin', LLMTAIL_MAPPING: '{"fields":{}}', LLMTAIL_BUCKETS: 'x', LLMTAIL_NOT_A_KEY: '1' });
    expect(layer.values).toEqual({});
    expect(resolveConfig([layer]).mapping).toBeUndefined();
  });

  it('a bad boolean names the key, value, variable and expectation', () => {
    const e = configError([envLayer({ LLMTAIL_FROM_BEGINNING: 'maybe' })]);
    expect(e.problems).toEqual(['from_beginning = "maybe" (from environment LLMTAIL_FROM_BEGINNING): expected boolean']);
    expect(e.message).toContain('from_beginning = "maybe" (from environment LLMTAIL_FROM_BEGINNING): expected boolean');
  });

  it('a bad number names the key, value, variable and expectation', () => {
    const e = configError([envLayer({ LLMTAIL_LABELS_MAX_VALUES: 'lots' })]);
    expect(e.problems).toEqual(['labels.max_values = "lots" (from environment LLMTAIL_LABELS_MAX_VALUES): expected number']);
    const zero = configError([envLayer({ LLMTAIL_LABELS_MAX_VALUES: '0' })]);
    expect(zero.problems).toEqual(['labels.max_values = 0 (from environment LLMTAIL_LABELS_MAX_VALUES): expected > 0']);
  });

  it('a bad label in a list is named', () => {
    const e = configError([envLayer({ LLMTAIL_LABELS_ALLOW: 'model,user_id' })]);
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toContain('labels.allow.1 = "user_id" (from environment LLMTAIL_LABELS_ALLOW): expected one of "model", "status"');
  });
});

describe('flags', () => {
  it('a bad listen address names the key, value, flag and what is expected', () => {
    const e = configError([flags({ 'web.listen_address': ':70000' })]);
    expect(e.problems).toEqual(['web.listen_address = ":70000" (from flag --web.listen-address): expected [host]:port with a port from 0 to 65535, e.g. ":9838" or "127.0.0.1:9838"']);
    const abc = configError([flags({ 'web.listen_address': 'abc' })]);
    expect(abc.message).toContain('web.listen_address = "abc" (from flag --web.listen-address): expected [host]:port with a port from 0 to 65535, e.g. ":9838" or "127.0.0.1:9838"');
  });

  // Once a bug: the port-range check also ran when the pattern had already failed.
  it('a listen address without a port gets one problem, not a port-range complaint too', () => {
    const abc = configError([flags({ 'web.listen_address': 'abc' })]);
    expect(abc.problems).toEqual(['web.listen_address = "abc" (from flag --web.listen-address): expected [host]:port with a port from 0 to 65535, e.g. ":9838" or "127.0.0.1:9838"']);
  });

  it('accepts the listen address forms', () => {
    for (const a of [':9838', '0.0.0.0:80', 'localhost:9838', '[::1]:9838', '[::]:0', ':65535']) {
      expect(resolveConfig([flags({ 'web.listen_address': a })]).web.listen_address).toBe(a);
    }
  });

  it('a bad enum flag names the flag and the allowed values', () => {
    const e = configError([flags({ 'log.level': 'verbose' })]);
    expect(e.problems).toEqual(['log.level = "verbose" (from flag --log.level): expected one of "debug", "info", "warn", "error"']);
  });
});

describe('config file', () => {
  it('reads nested YAML keys', () => {
    const path = yamlFile(
      [
        'inputs:',
        '  - /var/log/tgi.jsonl',
        'preset: tgi',
        'default_model: mistral-7b',
        'labels:',
        '  allow: [model, status, endpoint]',
        '  max_values: 50',
        'buckets:',
        '  e2e_latency: [0.5, 1, 2]',
        'lines:',
        '  max_bytes: 4096',
        '',
      ].join('\n'),
    );
    const c = resolveConfig([fileLayer(path)]);
    expect(c.inputs).toEqual(['/var/log/tgi.jsonl']);
    expect(c.preset).toBe('tgi');
    expect(c.default_model).toBe('mistral-7b');
    expect(c.labels).toEqual({ allow: ['model', 'status', 'endpoint'], max_values: 50, max_value_length: 128 });
    expect(c.buckets).toEqual({ e2e_latency: [0.5, 1, 2] });
    expect(c.lines.max_bytes).toBe(4096);
  });

  it('an empty file is an empty configuration', () => {
    expect(resolveConfig([fileLayer(yamlFile(''))]).preset).toBe('auto');
  });

  it('a bad value names the key, value, file and expectation', () => {
    const path = yamlFile('log:\n  level: verbose\nlabels:\n  max_values: 0\n');
    const e = configError([fileLayer(path)]);
    expect(e.problems).toEqual([
      `log.level = "verbose" (from config file ${path}): expected one of "debug", "info", "warn", "error"`,
      `labels.max_values = 0 (from config file ${path}): expected > 0`,
    ]);
  });

  it('a wrong type names the expected type', () => {
    const path = yamlFile('from_beginning: "sometimes"\nweb:\n  gzip: 3\n');
    const e = configError([fileLayer(path)]);
    expect(e.problems).toEqual([
      `from_beginning = "sometimes" (from config file ${path}): expected boolean`,
      `web.gzip = 3 (from config file ${path}): expected boolean`,
    ]);
  });

  it('unknown keys are named, at the top level and in a section', () => {
    const path = yamlFile('colour: red\nweb:\n  listen_adress: ":1"\n');
    const e = configError([fileLayer(path)]);
    expect(e.problems).toHaveLength(2);
    expect(e.problems).toContainEqual(expect.stringContaining('unknown key "colour"'));
    expect(e.problems).toContainEqual(expect.stringContaining(`unknown key "listen_adress" under web (from config file ${path})`));
  });

  it('bad buckets are named', () => {
    const path = yamlFile('buckets:\n  e2e_latency: [1, 0.5]\n');
    const e = configError([fileLayer(path)]);
    expect(e.problems).toEqual([`buckets.e2e_latency = [1,0.5] (from config file ${path}): expected strictly increasing bucket bounds`]);
    const unknown = configError([fileLayer(yamlFile('buckets:\n  latency: [1]\n'))]);
    expect(unknown.message).toContain('latency');
  });

  it('an unreadable file, invalid YAML and a non-mapping top level are ConfigErrors naming the file', () => {
    const missing = join(dir, 'does-not-exist.yaml');
    expect(() => fileLayer(missing)).toThrow(ConfigError);
    expect(() => fileLayer(missing)).toThrow(`config file ${missing}: cannot read it (ENOENT)`);
    const broken = yamlFile('web: [unclosed\n');
    expect(() => fileLayer(broken)).toThrow(ConfigError);
    expect(() => fileLayer(broken)).toThrow(`config file ${broken}: not valid YAML`);
    const list = yamlFile('- a\n- b\n');
    expect(() => fileLayer(list)).toThrow(`config file ${list}: expected a mapping of keys at the top level`);
  });
});

describe('custom mapping', () => {
  it('preset custom without a mapping is an error naming mapping', () => {
    const e = configError([flags({ preset: 'custom' })]);
    expect(e.problems).toEqual(['mapping is missing: expected a mapping when preset is "custom"']);
    const fromFile = configError([fileLayer(yamlFile('preset: custom\n'))]);
    expect(fromFile.problems).toEqual(['mapping is missing: expected a mapping when preset is "custom"']);
  });

  it('a valid custom mapping from the file resolves and decodes', () => {
    const path = yamlFile(
      [
        'preset: custom',
        'mapping:',
        '  fields:',
        '    model: engine',
        '    e2e_latency: { path: timings.total|took, unit: ms }',
        '    gpu_memory: { path: mem_gb, unit: GB }',
        '  match:',
        '    - kind: { equals: [request] }',
        '',
      ].join('\n'),
    );
    const c = resolveConfig([fileLayer(path)]);
    expect(c.preset).toBe('custom');
    expect(c.mapping?.fields.model).toEqual({ path: 'engine' });
    const stats = new LineStats();
    const d = new Decoder({ preset: 'custom', mapping: c.mapping, limits: { maxDurationSeconds: 86_400, maxTokens: 1e7, maxBytes: 2 ** 44 }, defaultModel: c.default_model }, stats);
    expect(d.decode('{"kind":"request","engine":"e","took":1500,"mem_gb":2}')).toEqual({ status: 'unknown', model: 'e', e2eSeconds: 1.5, gpuMemoryBytes: 2e9 });
    expect(d.decode('{"kind":"heartbeat","engine":"e"}')).toBeUndefined();
  });

  it('a unit that does not fit the field names mapping.fields.<field>.unit, the value, the file and the expectation', () => {
    const path = yamlFile(['preset: custom', 'mapping:', '  fields:', '    e2e_latency: { path: dur, unit: MiB }', '    gpu_memory: { path: mem, unit: ms }', ''].join('\n'));
    const e = configError([fileLayer(path)]);
    expect(e.problems).toEqual([
      `mapping.fields.e2e_latency.unit = "MiB" (from config file ${path}): expected one of ns|us|ms|s|duration`,
      `mapping.fields.gpu_memory.unit = "ms" (from config file ${path}): expected one of B|KB|MB|GB|KiB|MiB|GiB`,
    ]);
  });

  it('a custom mapping from YAML with derived fields, a condition, a retry list, null values and a dotted key', () => {
    const path = yamlFile(
      [
        'preset: custom',
        'mapping:',
        '  null_values: ["-", ""]',
        '  fields:',
        '    e2e_latency: { path: end, minus: start, unit: s }',
        '    time_to_first_token: { path: first, minus: start, unit: s, when: { stream: { equals: [true] } } }',
        '    inference_time: { path: upstream, unit: s, list: last }',
        '    completion_tokens: { path: inf, over: tpt, unit: duration }',
        '    prompt_tokens: gen_ai\\.usage\\.input_tokens',
        '',
      ].join('\n'),
    );
    const c = resolveConfig([fileLayer(path)]);
    const d = new Decoder({ preset: 'custom', mapping: c.mapping, limits: { maxDurationSeconds: 86_400, maxTokens: 1e7, maxBytes: 2 ** 44 }, defaultModel: 'm' }, new LineStats());
    expect(d.decode('{"start":100,"end":102.5,"first":100.25,"stream":true,"upstream":"0.001, 2.4","inf":"1.5s","tpt":"10ms","gen_ai.usage.input_tokens":"-"}')).toEqual({
      status: 'unknown',
      model: 'm',
      e2eSeconds: 2.5,
      ttftSeconds: 0.25,
      inferenceSeconds: 2.4,
      completionTokens: 150,
      tpotSeconds: (2.5 - 0.25) / 149,
    });
    expect(d.decode('{"start":100,"end":101,"first":101,"stream":null,"gen_ai.usage.input_tokens":7}')).toEqual({ status: 'unknown', model: 'm', e2eSeconds: 1, promptTokens: 7 });
  });

  it('a unit on a field that takes none is named', () => {
    const path = yamlFile('preset: custom\nmapping:\n  fields:\n    model: { path: m, unit: s }\n');
    expect(configError([fileLayer(path)]).problems).toEqual([`mapping.fields.model.unit = "s" (from config file ${path}): field model takes no unit`]);
  });

  // Regression test (was a bug): a unit outside every unit list fails fieldSpecSchema's union (string | object), and
  // describeIssue (src/config/load.ts, expectation()) has no case for invalid_union, so the
  // message ends in zod's bare "Invalid input" and says nothing of what was expected, contrary to
  // resolveConfig's contract ("naming key, value, origin and expectation").
  it('an unknown unit name says which units are expected', () => {
    const path = yamlFile('preset: custom\nmapping:\n  fields:\n    e2e_latency: { path: dur, unit: parsecs }\n');
    const e = configError([fileLayer(path)]);
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toContain(`(from config file ${path})`);
    expect(e.problems[0]).toContain('parsecs');
    expect(e.problems[0]).not.toMatch(/Invalid input$/);
    expect(e.problems[0]).toMatch(/\bms\b/);
  });

  it('an unknown mapping field is named', () => {
    const path = yamlFile('preset: custom\nmapping:\n  fields:\n    latency: x\n');
    const e = configError([fileLayer(path)]);
    expect(e.message).toContain('mapping.fields');
    expect(e.message).toContain('latency');
    expect(e.message).toContain(`config file ${path}`);
  });
});

describe('web timeouts', () => {
  it('refuses a header timeout longer than the request timeout', () => {
    expect(() => resolveConfig([{ values: { web: { header_timeout_ms: 5000, request_timeout_ms: 1000 } }, origin: new Map() }])).toThrow(/web\.header_timeout_ms = 5000.*expected at most web\.request_timeout_ms/);
  });
});
