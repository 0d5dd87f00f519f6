import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, runCli, startCli } from '../helpers/cli.js';
import { parseExposition } from '../helpers/exposition.js';

const FLAT = (id: string, ms: number, status = 'success') =>
  `{"timestamp":"2025-04-05T10:23:45Z","request_id":"${id}","model":"qwen","input_tokens":100,"output_tokens":10,"total_time_ms":${ms},"queue_time_ms":1,"inference_time_ms":${ms - 1},"status":"${status}"}`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'llmtail-cmd-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration errors', () => {
  it('a bad flag value names the key, the value, where it came from and what was expected, and exits 2', async () => {
    const r = await runCli(['check-config', '--web.listen-address', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('web.listen_address = "nope" (from flag --web.listen-address): expected [host]:port');
  });

  it('a bad environment value and a bad file value are reported with their origin', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'labels:\n  max_values: -3\npreset: vllm\n');
    const r = await runCli(['check-config', '--config', file], { env: { LLMTAIL_LOG_LEVEL: 'loud' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`labels.max_values = -3 (from config file ${file}): expected > 0`);
    expect(r.stderr).toContain(`preset = "vllm" (from config file ${file}): expected one of "auto"`);
    expect(r.stderr).toContain('log.level = "loud" (from environment LLMTAIL_LOG_LEVEL): expected one of "debug", "info", "warn", "error"');
  });

  it('an unknown key is named', async () => {
    const file = path.join(dir, 'unknown.yaml');
    writeFileSync(file, 'web:\n  listen_adress: ":1"\n');
    const r = await runCli(['check-config', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown key "listen_adress" under web');
  });

  it('a state directory that cannot be written is a startup error naming it', async () => {
    const file = path.join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const r = await runCli(['run', '--input', path.join(dir, 'x.jsonl'), '--state-dir', path.join(file, 'state'), '--web.listen-address', '127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`state directory ${path.join(file, 'state')} is not writable (ENOTDIR)`);
  });

  it('run without inputs is a configuration error, an unknown flag a usage error', async () => {
    expect((await runCli(['run'])).code).toBe(2);
    const r = await runCli(['run', '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--no-such-flag");
  });

  it('check-config prints the effective configuration, flags over environment over file', async () => {
    const file = path.join(dir, 'good.yaml');
    writeFileSync(file, 'preset: flat\nweb:\n  listen_address: ":1111"\nlabels:\n  max_values: 7\n');
    const r = await runCli(['check-config', '--config', file, '--web.listen-address', ':3333'], { env: { LLMTAIL_WEB_LISTEN_ADDRESS: ':2222', LLMTAIL_LABELS_MAX_VALUES: '9' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('listen_address: :3333');
    expect(r.stdout).toContain('max_values: 9');
    expect(r.stdout).toContain('preset: flat');
  });
});

describe('every command has --help', () => {
  for (const cmd of ['run', 'demo', 'replay', 'backfill', 'check-config', 'simulate']) {
    it(cmd, async () => {
      const r = await runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: llmtail ${cmd}`);
    });
  }
  it('top level', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('replay');
  });
});

describe('llmtail replay', () => {
  it('prints the exposition for files read to their end, counting a last line without newline', async () => {
    const file = path.join(dir, 'replay.jsonl');
    writeFileSync(file, `${FLAT('a', 500)}\n${FLAT('b', 1500)}\nnot json\n${FLAT('c', 2500, 'timeout')}`);
    const r = await runCli(['replay', file]);
    expect(r.code).toBe(0);
    const m = parseExposition(r.stdout);
    expect(m.get('llmtail_requests_total', { model: 'qwen', status: 'success' })).toBe(2);
    expect(m.get('llmtail_requests_total', { model: 'qwen', status: 'timeout' })).toBe(1);
    expect(m.get('llmtail_lines_invalid_total', { reason: 'json_syntax' })).toBe(1);
    expect(m.get('llmtail_request_duration_seconds_sum', { model: 'qwen', status: 'success' })).toBe(2);
    expect(m.all('process_cpu_user_seconds_total')).toHaveLength(0);
  });

  it('reads stdin with -, and prints a summary table', async () => {
    const r = await runCli(['replay', '-', '--format', 'summary'], { input: `${FLAT('a', 500)}\n${FLAT('b', 700)}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/qwen\s+success\s+2\s/);
    expect(r.stdout).toContain('lines: ok=2 invalid=0 unmapped=0 empty=0');
  });

  it('a missing file is a clear error', async () => {
    const r = await runCli(['replay', path.join(dir, 'missing.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.jsonl: ENOENT');
  });
});

describe('custom mappings', () => {
  it('a mapping in the config file reads any shape, with match rules, units, alternatives and array indexes', async () => {
    const config = path.join(dir, 'custom.yaml');
    writeFileSync(
      config,
      [
        'preset: custom',
        'mapping:',
        '  match:',
        '    - { event: { equals: [request_done] } }',
        '  fields:',
        '    timestamp: { path: ts, format: epoch_ms }',
        '    request_id: trace.id',
        '    model: model|engine',
        '    http_status: response.code',
        '    e2e_latency: { path: timings.total, unit: ms }',
        '    time_to_first_token: { path: timings.ttft, unit: us }',
        '    completion_tokens: usage.output',
        '    finish_reason: choices[0].finish_reason',
        'labels:',
        '  allow: [model, status, finish_reason]',
        '',
      ].join('\n'),
    );
    const log = path.join(dir, 'custom.jsonl');
    writeFileSync(
      log,
      [
        '{"event":"request_done","ts":1735689234000,"trace":{"id":"t1"},"engine":"m1","response":{"code":200},"timings":{"total":1500,"ttft":250000},"usage":{"output":11},"choices":[{"finish_reason":"stop"}]}',
        '{"event":"request_done","ts":1735689235000,"model":"m1","engine":"ignored","response":{"code":503},"timings":{"total":20}}',
        '{"event":"heartbeat","ts":1735689236000}',
        '',
      ].join('\n'),
    );
    const r = await runCli(['replay', '--config', config, log]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = parseExposition(r.stdout);
    expect(m.get('llmtail_requests_total', { model: 'm1', status: 'success', finish_reason: 'stop' })).toBe(1);
    expect(m.get('llmtail_requests_total', { model: 'm1', status: 'rejected', finish_reason: '' })).toBe(1);
    expect(m.get('llmtail_lines_total', { result: 'unmapped' })).toBe(1);
    expect(m.get('llmtail_request_duration_seconds_sum', { model: 'm1', status: 'success', finish_reason: 'stop' })).toBe(1.5);
    expect(m.get('llmtail_time_to_first_token_seconds_sum', { model: 'm1', status: 'success', finish_reason: 'stop' })).toBe(0.25);
    // (1.5 - 0.25) / (11 - 1)
    expect(m.get('llmtail_time_per_output_token_seconds_sum', { model: 'm1', status: 'success', finish_reason: 'stop' })).toBe(0.125);
    expect(m.get('llmtail_request_errors_total', { model: 'm1', status: 'rejected', finish_reason: '', error_type: 'http_503' })).toBe(1);
    expect(m.get('llmtail_last_event_timestamp_seconds')).toBe(1735689235);
  });

  it('a bad mapping names the field, the value and the units it accepts', async () => {
    const config = path.join(dir, 'badmap.yaml');
    writeFileSync(config, 'preset: custom\nmapping:\n  fields:\n    e2e_latency: { path: t, unit: parsecs }\n');
    const r = await runCli(['check-config', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mapping.fields.e2e_latency.unit = "parsecs"');
    expect(r.stderr).toContain('"ms"');
  });
});

describe('a flood of bad lines', () => {
  it('is counted line by line but logged only a few times', async () => {
    const file = path.join(dir, 'flood.jsonl');
    writeFileSync(file, `${'{"broken": \n'.repeat(5000)}${FLAT('ok', 100)}\n`);
    const r = await runCli(['replay', file]);
    expect(r.code).toBe(0);
    const m = parseExposition(r.stdout);
    expect(m.get('llmtail_lines_invalid_total', { reason: 'json_syntax' })).toBe(5000);
    expect(m.get('llmtail_requests_total', { model: 'qwen', status: 'success' })).toBe(1);
    const logged = r.stderr.split('\n').filter((l) => l.includes('log line problem'));
    expect(logged).toHaveLength(1);
  });
});

describe('inputs besides files', () => {
  it('--input - reads stdin while serving', async () => {
    const cli = await startCli(['run', '--input', '-', '--web.listen-address', '127.0.0.1:0'], { stdin: true });
    try {
      cli.proc.stdin?.write(`${FLAT('a', 500)}\n${FLAT('b', 600)}\n`);
      const m = await eventually(async () => {
        const e = parseExposition(await (await fetch(cli.url('/metrics'))).text());
        return e.get('llmtail_requests_total', { model: 'qwen', status: 'success' }) === 2 ? e : undefined;
      });
      expect(m.get('llmtail_input_up', { input: 'stdin' })).toBe(1);
    } finally {
      expect((await cli.stop()).code).toBe(0);
    }
  });

  it('POST /ingest counts what it accepted, refuses oversized bodies with 413 and other content types with 415', async () => {
    const file = path.join(dir, 'ingest.yaml');
    writeFileSync(file, 'web:\n  ingest_max_body_bytes: 2000\n');
    const cli = await startCli(['run', '--config', file, '--web.enable-ingest', '--web.listen-address', '127.0.0.1:0']);
    try {
      const ok = await fetch(cli.url('/ingest'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-ndjson' },
        body: `${FLAT('a', 500)}\n[1]\n${FLAT('b', 600)}`,
      });
      expect(ok.status).toBe(200);
      // No --state-dir: counted, but a restart would forget it.
      expect(await ok.json()).toEqual({ accepted: 2, invalid: 1, unmapped: 0, empty: 0, bytes: expect.any(Number), durable: false });

      const big = await fetch(cli.url('/ingest'), { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body: `${FLAT('c', 1)}\n`.repeat(20) });
      expect(big.status).toBe(413);
      expect(await big.json()).toMatchObject({ error: 'payload_too_large', limit_bytes: 2000, accepted: 0 });

      const form = await fetch(cli.url('/ingest'), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
      expect(form.status).toBe(415);

      const m = parseExposition(await (await fetch(cli.url('/metrics'))).text());
      // Nothing from the 413 body was counted.
      expect(m.get('llmtail_requests_total', { model: 'qwen', status: 'success' })).toBe(2);
    } finally {
      await cli.stop();
    }
  });
});
