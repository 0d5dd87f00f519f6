import { MAPPABLE_FIELDS } from './event.js';
import { PRESET_NAMES, PRESETS } from './presets.js';

/** The presets section of the README: each preset's description, detection fields and an example line. */
export function presetsReferenceMarkdown(): string {
  const parts = PRESET_NAMES.map((name) => {
    const p = PRESETS[name];
    return [`#### \`${name}\``, '', p.description, '', `Detected by: ${p.detect.map((d) => `\`${d}\``).join(', ')}.`, '', '```json', p.example, '```'].join('\n');
  });
  const fields = Object.entries(MAPPABLE_FIELDS).map(([f, { kind }]) => `\`${f}\` (${kind})`);
  return [...parts, '', `Fields a mapping can fill: ${fields.join(', ')}.`].join('\n\n');
}
