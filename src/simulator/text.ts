import type { Rng } from './random.js';

/**
 * Short prompt and response texts. Lines only need text that looks plausible and varies (for
 * response-quality checks and template clustering); long text would only make lines bigger.
 */

const CHAT_PROMPTS = [
  'Summarize the following support ticket in two sentences.',
  'Translate this paragraph into French, keeping the formal tone.',
  'What are the main differences between TCP and UDP?',
  'Write a polite reply declining the meeting invitation.',
  'Explain the attached quarterly report to a non-expert.',
  'List three risks of the proposed database migration.',
  'Classify the sentiment of these product reviews.',
  'Draft a short release note for version 2.4.',
] as const;

const CODE_PROMPTS = [
  'Write a Python function that merges two sorted lists.',
  'Fix the off-by-one error in this TypeScript loop.',
  'Add type hints to the following function.',
  'Write a SQL query returning the top 5 customers by revenue.',
  'Explain what this regular expression matches.',
] as const;

const JSON_PROMPTS = [
  'Extract the customer name and order id as JSON.',
  'Return the entities in this text as a JSON object.',
  'Score the answer from 0 to 1 and reply in JSON.',
] as const;

const CHAT_SENTENCES = [
  'The customer reports that invoices are generated twice after the upgrade.',
  'TCP guarantees ordered delivery, while UDP trades reliability for lower latency.',
  'Thank you for the invitation; unfortunately I am unavailable that afternoon.',
  'Revenue grew 12% quarter over quarter, driven mainly by the enterprise segment.',
  'The main risks are downtime during cutover, data drift, and slower queries.',
  'Overall sentiment is positive, with complaints focused on shipping times.',
  'Version 2.4 adds dark mode and fixes the export timeout.',
  'Let me know if you would like a more detailed breakdown.',
] as const;

const CODE_SNIPPETS = [
  'def merge(a, b):\n    return sorted(a + b)',
  'for (let i = 0; i < items.length; i++) {\n  total += items[i];\n}',
  'SELECT customer, SUM(amount) AS revenue FROM orders GROUP BY customer ORDER BY revenue DESC LIMIT 5;',
  'def area(r: float) -> float:\n    return math.pi * r * r',
  'The pattern matches ISO dates such as 2025-04-05.',
] as const;

const JSON_NAMES = ['Alice Martin', 'Wei Zhang', 'Omar Haddad', 'Sofia Rossi', 'Kenji Sato'] as const;
const JSON_TAGS = ['billing', 'shipping', 'refund', 'account', 'bug', 'feature'] as const;

export function promptText(rng: Rng, code: boolean, jsonMode: boolean): string {
  if (jsonMode) return rng.pick(JSON_PROMPTS);
  return rng.pick(code ? CODE_PROMPTS : CHAT_PROMPTS);
}

/** Response text: 1–3 sentences (or one snippet), loosely growing with the token count. */
export function outputText(rng: Rng, code: boolean, completionTokens: number): string {
  if (code) return rng.pick(CODE_SNIPPETS);
  const sentences = Math.min(3, Math.max(1, Math.ceil(completionTokens / 120)));
  // Consecutive sentences from a random start, so none repeats within one response.
  const start = rng.int(CHAT_SENTENCES.length);
  let s = CHAT_SENTENCES[start] as string;
  for (let i = 1; i < sentences; i++) s += ` ${CHAT_SENTENCES[(start + i) % CHAT_SENTENCES.length] as string}`;
  return s;
}

/** A JSON object as a model returns it in JSON mode. */
export function jsonOutput(rng: Rng): string {
  return JSON.stringify({
    name: rng.pick(JSON_NAMES),
    order_id: `ORD-${rng.intBetween(10000, 99999)}`,
    score: Math.round(rng.float() * 100) / 100,
    tags: [rng.pick(JSON_TAGS), rng.pick(JSON_TAGS)],
  });
}

/** JSON-mode output that does not parse, the ways models really get it wrong. */
export function malformedJsonOutput(rng: Rng): string {
  const valid = jsonOutput(rng);
  switch (rng.int(3)) {
    case 0:
      // Cut off by max_tokens: a proper prefix of an object never parses.
      return valid.slice(0, rng.intBetween(1, valid.length - 1));
    case 1:
      return `${valid.slice(0, -1)},}`;
    default:
      return valid.replaceAll('"', "'");
  }
}
