import { MAPPABLE_FIELDS } from './event.js';
import { FIELD_OPTION_HELP, MAPPING_OPTION_HELP } from './mapping-spec.js';
import { PRESET_NAMES, PRESETS } from './presets.js';

/**
 * The presets section of the README: `auto`'s order, each preset's description, detection fields
 * and real example line, then what a mapping can say.
 */
export function presetsReferenceMarkdown(): string {
  const order = `\`auto\` tries the presets in this order and takes the first whose marker is present: ${PRESET_NAMES.map((n) => `\`${n}\``).join(', ')}.`;
  const parts = PRESET_NAMES.map((name) => {
    const p = PRESETS[name];
    return [`#### \`${name}\``, '', p.description, '', `Detected by: ${p.detect.map((d) => `\`${d}\``).join(', ')}.`, '', '```json', p.example, '```'].join('\n');
  });
  const fields = Object.entries(MAPPABLE_FIELDS).map(([f, { kind }]) => `\`${f}\` (${kind})`);
  const options = [
    'A mapping (`mapping:` in the config file):',
    '',
    ...Object.entries(MAPPING_OPTION_HELP).map(([k, v]) => `- \`${k}\`: ${v}`),
    '',
    'A field is a path string, or an object with:',
    '',
    ...Object.entries(FIELD_OPTION_HELP).map(([k, v]) => `- \`${k}\`: ${v}`),
  ].join('\n');
  return [order, ...parts, '', `Fields a mapping can fill: ${fields.join(', ')}.`, options].join('\n\n');
}
