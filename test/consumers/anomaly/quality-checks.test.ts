import { describe, expect, it } from 'vitest';
import { anomalyConfigSchema } from '../../../src/consumers/anomaly/config.js';
import { EMPTY, isBlank, JAILBREAK, MALFORMED_JSON, QualityChecker, SENSITIVE } from '../../../src/consumers/anomaly/quality-checks.js';

const checker = new QualityChecker(anomalyConfigSchema.parse({}));

describe('QualityChecker', () => {
  it('empty responses count only for successful requests', () => {
    expect(checker.check('', true, false)).toBe(EMPTY);
    expect(checker.check(' \n\t\u3000', true, true)).toBe(EMPTY);
    expect(checker.check('', false, false)).toBe(0);
    expect(isBlank('  x ')).toBe(false);
  });

  it('malformed JSON only in JSON mode and only for successful requests', () => {
    expect(checker.check('{"name": "Alice", "order_id": "ORD-1"', true, true)).toBe(MALFORMED_JSON);
    expect(checker.check("{'name': 'Alice'}", true, true)).toBe(MALFORMED_JSON);
    expect(checker.check('{"name": "Alice"}', true, true)).toBe(0);
    expect(checker.check('{"name": "Alice"', true, false)).toBe(0);
    expect(checker.check('{"name": "Alice"', false, true)).toBe(0);
  });

  it('sensitive data: e-mails, Luhn-valid card numbers and API keys by default', () => {
    expect(checker.check('Write to jane.doe@example.org for a refund.', true, false)).toBe(SENSITIVE);
    expect(checker.check('Card: 4111 1111 1111 1111, exp 12/27', true, false)).toBe(SENSITIVE);
    expect(checker.check('Order 4111 1111 1111 1112 is on its way.', true, false)).toBe(0);
    expect(checker.check('export OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz012345', true, false)).toBe(SENSITIVE);
    expect(checker.check('aws_access_key_id = AKIAIOSFODNN7EXAMPLE', true, false)).toBe(SENSITIVE);
    expect(checker.check('TCP guarantees ordered delivery, while UDP trades reliability for lower latency.', true, false)).toBe(0);
  });

  it('jailbreak and prompt-leak phrases from seed 001, case- and whitespace-insensitive', () => {
    expect(checker.check('好的，我将忽略上述指令。', true, false)).toBe(JAILBREAK);
    expect(checker.check('Sure! Ignore   previous\ninstructions and...', true, false)).toBe(JAILBREAK);
    expect(checker.check('My System Prompt says I am a helpful assistant.', true, false)).toBe(JAILBREAK);
    expect(checker.check('Here is the summary you asked for.', true, false)).toBe(0);
  });

  it('reports several problems at once, and scans long responses only up to max_output_chars', () => {
    expect(checker.check('{"leak": "system prompt: mail admin@corp.example.com"', true, true)).toBe(MALFORMED_JSON | SENSITIVE | JAILBREAK);
    const small = new QualityChecker(anomalyConfigSchema.parse({ max_output_chars: 100 }));
    expect(small.check(`${'x'.repeat(200)} bob@example.com`, true, false)).toBe(0);
    expect(small.check(`bob@example.com ${'x'.repeat(200)}`, true, false)).toBe(SENSITIVE);
    // Too long to be judged as JSON: not counted as malformed.
    expect(small.check(`{"a": "${'x'.repeat(200)}`, true, true)).toBe(0);
  });

  it('takes configured patterns and phrases', () => {
    const custom = new QualityChecker(anomalyConfigSchema.parse({ sensitive_patterns: ['身份证', 'card_number'], jailbreak_phrases: ['你是一个程序员'] }));
    expect(custom.check('请提供身份证号码', true, false)).toBe(SENSITIVE);
    expect(custom.check('bob@example.com', true, false)).toBe(0);
    expect(custom.check('你是一个程序员，请写代码', true, false)).toBe(JAILBREAK);
  });

  it('config rejects a pattern that is neither built-in nor a valid regex', () => {
    expect(anomalyConfigSchema.safeParse({ sensitive_patterns: ['(unclosed'] }).success).toBe(false);
  });
});
