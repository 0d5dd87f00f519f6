import { z } from 'zod';
import { MAPPABLE_FIELDS, type MappableField } from './event.js';
import { BYTE_UNITS, DURATION_UNITS, LIST_MODES, TIMESTAMP_FORMATS } from './values.js';

/**
 * The declarative form of a mapping from one log shape to InferenceEvent. Built-in presets are
 * written in it, and a user's custom mapping in the config file is validated against it.
 */

const PATH_HELP =
  'JSON path: dot-separated keys, [n] for an array item (choices[0].finish_reason), `\\.` for a dot inside a key ' +
  '(gen_ai\\.usage\\.input_tokens); alternatives separated by | — the first one present wins (latency_ms|duration_ms).';

const matchRuleSchema = z
  .object({
    equals: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
    present: z.boolean().optional(),
  })
  .strict();
/** All of its paths must match: `{stream: {equals: [true]}}`. */
const matchEntrySchema = z.record(z.string(), matchRuleSchema);
export type MatchEntry = z.output<typeof matchEntrySchema>;

/** What each field option does: the schema's descriptions, and the README's mapping reference. */
export const FIELD_OPTION_HELP = {
  path: PATH_HELP,
  unit: 'Unit of a numeric duration (ns|us|ms|s; `duration` for strings like "357ms", "49.382µs") or byte size (B|KB|MB|GB|KiB|MiB|GiB).',
  format: 'Timestamp format; `auto` tells epoch s/ms/us/ns apart by magnitude and reads ISO 8601 strings.',
  minus:
    'Durations: the value is `path − minus`, both read in `unit` (two epoch timestamps: `{path: endTime, minus: startTime, unit: s}`). Absent when either is absent; a negative difference is dropped as `negative`.',
  over: 'Counts: the value is round(`path` / `over`), both read in `unit` (TGI: generated tokens = inference_time / time_per_token).',
  list: 'A string holding several values separated by "," or " : " (nginx retries: "0.001, 2.609"): `last` takes the last one (the attempt that answered), `sum` adds them; "-" items are skipped.',
  when: 'Read the field only when the line matches this entry (same rules as `match`): `{stream: {equals: [true]}}`.',
} as const;

const fieldSpecObject = z
  .object({
    path: z.string().min(1).describe(FIELD_OPTION_HELP.path),
    unit: z
      .enum([...DURATION_UNITS, ...BYTE_UNITS])
      .optional()
      .describe(FIELD_OPTION_HELP.unit),
    format: z.enum(TIMESTAMP_FORMATS).optional().describe(FIELD_OPTION_HELP.format),
    minus: z.string().min(1).optional().describe(FIELD_OPTION_HELP.minus),
    over: z.string().min(1).optional().describe(FIELD_OPTION_HELP.over),
    list: z.enum(LIST_MODES).optional().describe(FIELD_OPTION_HELP.list),
    when: matchEntrySchema.optional().describe(FIELD_OPTION_HELP.when),
  })
  .strict();

export const fieldSpecSchema = z.union([z.string().min(1).transform((path): FieldSpec => ({ path })), fieldSpecObject]);
export type FieldSpec = z.output<typeof fieldSpecObject>;

const fieldNames = Object.keys(MAPPABLE_FIELDS) as [MappableField, ...MappableField[]];

export const MAPPING_OPTION_HELP = {
  fields: `Event field → where to find it in the line. Fields: ${fieldNames.join(', ')}.`,
  match:
    'A line is a request only when any entry matches; an entry matches when every path in it does. Without `match`, a line is a request when it carries at least one request field (a duration, a token count, status, http_status, model, finish_reason or error_type).',
  null_values: 'Values that mean "not logged" in this log (nginx writes "-" and ""): read as absent, not as a bad value.',
} as const;

export const mappingSpecSchema = z
  .object({
    fields: z.partialRecord(z.enum(fieldNames), fieldSpecSchema).describe(MAPPING_OPTION_HELP.fields),
    match: z.array(matchEntrySchema).optional().describe(MAPPING_OPTION_HELP.match),
    null_values: z.array(z.union([z.string(), z.number()])).min(1).optional().describe(MAPPING_OPTION_HELP.null_values),
  })
  .strict()
  .superRefine((spec, ctx) => {
    for (const [field, fs] of Object.entries(spec.fields)) {
      if (fs === undefined) continue;
      const kind = MAPPABLE_FIELDS[field as MappableField].kind;
      const unit = fs.unit;
      const issue = (key: keyof FieldSpec, message: string) => ctx.addIssue({ code: 'custom', path: ['fields', field, key], input: fs[key], message });
      if (fs.minus !== undefined && kind !== 'duration') issue('minus', `field ${field} takes no minus (durations only)`);
      if (fs.over !== undefined && kind !== 'count') issue('over', `field ${field} takes no over (counts only)`);
      if (fs.minus !== undefined && fs.list !== undefined) issue('list', 'list and minus cannot be combined');
      if (unit === undefined) continue;
      const ok =
        ((kind === 'duration' || (kind === 'count' && fs.over !== undefined)) && (DURATION_UNITS as readonly string[]).includes(unit)) ||
        (kind === 'bytes' && (BYTE_UNITS as readonly string[]).includes(unit));
      if (!ok) {
        issue(
          'unit',
          kind === 'duration' ? `expected one of ${DURATION_UNITS.join('|')}` : kind === 'bytes' ? `expected one of ${BYTE_UNITS.join('|')}` : `field ${field} takes no unit`,
        );
      }
    }
  });

export type MappingSpec = z.output<typeof mappingSpecSchema>;
export type MappingSpecInput = z.input<typeof mappingSpecSchema>;
