import { CONFIG_FLAGS } from './flags.js';
import { configKeys } from './load.js';

/** The configuration reference table for the README, generated from the schema. */
export function configReferenceMarkdown(): string {
  const flags = new Map(CONFIG_FLAGS.map((f) => [f.key, `--${f.flag}`]));
  const rows = configKeys().map((k) => {
    const def = k.default === undefined ? '' : `\`${JSON.stringify(k.default)}\``;
    const env = k.type === 'object' ? '' : `\`${k.env}\``;
    const flag = flags.has(k.key) ? `\`${flags.get(k.key)}\`` : '';
    return `| \`${k.key}\` | ${env} | ${flag} | ${k.type} | ${def} | ${k.description.replace(/\|/g, '\\|')} |`;
  });
  return ['| key | environment | flag | type | default | meaning |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}
