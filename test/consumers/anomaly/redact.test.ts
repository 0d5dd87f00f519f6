import { describe, expect, it } from 'vitest';
import { clip, redact } from '../../../src/consumers/anomaly/redact.js';
import { cardSpans, emailSpans, hasCardNumber, hasEmail, luhnValid, sensitiveTest } from '../../../src/consumers/anomaly/sensitive.js';

describe('redact', () => {
  it('masks e-mails, card numbers, API keys, IPs, tokens and credentials', () => {
    const text =
      'user alice.smith+tag@mail.example.co.uk from 10.20.30.40 and [2001:db8::8a2e:370:7334] fe80::1 ' +
      'card 4111 1111 1111 1111 or 4111111111111111, key sk-proj-Abcdefghijklmnopqrstuvwxyz0123 AKIAIOSFODNN7EXAMPLE ' +
      'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4 ' +
      'password=hunter2 https://bob:s3cret@db.internal/x';
    const r = redact(text);
    for (const secret of ['alice.smith', 'example.co.uk', '10.20.30.40', '2001:db8', 'fe80::1', '4111 1111', '4111111111111111', 'sk-proj', 'AKIAIOSFODNN7EXAMPLE', 'ghp_', 'eyJhbGciOi', 'hunter2', 's3cret']) {
      expect(r, secret).not.toContain(secret);
    }
    for (const mask of ['<EMAIL>', '<IP>', '<CARD>', '<API_KEY>', '<SECRET>', '<CREDENTIALS>@']) expect(r).toContain(mask);
  });

  it('leaves ordinary error text alone', () => {
    const text = 'RuntimeError: NCCL error in: ../torch/csrc/distributed/c10d/ProcessGroupNCCL.cpp:1970 at 10:30:45 on cuda:0, std::vector, max_new_tokens: 512, Given: 7000 `inputs` tokens';
    expect(redact(text)).toBe(text);
  });

  it('masks only Luhn-valid card numbers', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(hasCardNumber('order 4111111111111112 shipped')).toBe(false);
    expect(hasCardNumber('epoch ms 1735689234000 and 1735689234001')).toBe(false);
    expect(cardSpans('pay 3782 822463 10005 now')).toHaveLength(1);
  });

  it('finds e-mails from each @ only, without backtracking', () => {
    expect(emailSpans('a@b.co x@y nope@ @twitter first.last@sub.domain.org.')).toEqual([
      [0, 6],
      [26, 51],
    ]);
    expect(hasEmail('no at sign here')).toBe(false);
    // Adversarial inputs finish (a quadratic scan of 1 MB would take minutes).
    const long = `${'a'.repeat(500_000)}@${'b'.repeat(500_000)}`;
    expect(hasEmail(long)).toBe(false);
    expect(redact('x'.repeat(100_000) + '@'.repeat(100_000), 1 << 20).length).toBe(200_000);
    expect(redact(`${'1'.repeat(300_000)} ${'1.'.repeat(100_000)}`, 1 << 20)).toContain('1');
  });

  it('redacts only the first maxChars characters', () => {
    expect(redact('abc alice@example.com', 3)).toBe('abc');
  });

  it('clips without splitting a surrogate pair', () => {
    expect(clip('ab😀cd', 4)).toBe('ab…');
    expect(clip('short', 10)).toBe('short');
  });
});

describe('sensitive patterns', () => {
  it('combines built-ins and custom regexes', () => {
    const test = sensitiveTest(['email', 'card_number', 'api_key', '密码', 'ssn:\\s*\\d{3}-\\d{2}-\\d{4}']);
    expect(test('contact bob@example.com')).toBe(true);
    expect(test('4111-1111-1111-1111')).toBe(true);
    expect(test('use sk-ant-api03-abcdefghijklmnopqrstuvwxyz')).toBe(true);
    expect(test('你的密码是 123456')).toBe(true);
    expect(test('SSN: 123-45-6789')).toBe(true);
    expect(test('The answer is 42.')).toBe(false);
    expect(sensitiveTest([])('bob@example.com')).toBe(false);
  });

  it('ipv4 is available but not among the defaults', () => {
    expect(sensitiveTest(['ipv4'])('server 192.168.1.100 answered')).toBe(true);
    expect(sensitiveTest(['ipv4'])('version 1.2.3.4.5')).toBe(false);
  });
});
