import { z } from 'zod';
import { MAPPABLE_FIELDS, type MappableField } from './event.js';
import { BYTE_UNITS, DURATION_UNITS, TIMESTAMP_FORMATS } from './values.js';

/**
 * The declarative form of a mapping from one log shape to InferenceEvent. Built-in presets are
 * written in it, and a user's custom mapping in the config file is validated against it.
 */

const PATH_HELP =
  'JSON path: dot-separated keys, [n] for an array item (choices[0].finish_reason); ' +
  'alternatives separated by | — the first one present wins (latency_ms|duration_ms).';

const fieldSpecObject = z
  .object({
    path: z.string().min(1).describe(PATH_HELP),
    unit: z
      .enum([...DURATION_UNITS, ...BYTE_UNITS])
      .optional()
      .describe('Unit of a numeric duration (ns|us|ms|s; `duration` for strings like "357ms") or byte size (B|KB|MB|GB|KiB|MiB|GiB).'),
    format: z.enum(TIMESTAMP_FORMATS).optional().describe('Timestamp format; `auto` tells epoch s/ms/us/ns apart by magnitude and reads ISO 8601 strings.'),
  })
  .strict();

export const fieldSpecSchema = z.union([z.string().min(1).transform((path): FieldSpec => ({ path })), fieldSpecObject]);
export type FieldSpec = z.output<typeof fieldSpecObject>;

const matchRuleSchema = z
  .object({
    equals: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
    present: z.boolean().optional(),
  })
  .strict();

const fieldNames = Object.keys(MAPPABLE_FIELDS) as [MappableField, ...MappableField[]];

export const mappingSpecSchema = z
  .object({
    fields: z
      .partialRecord(z.enum(fieldNames), fieldSpecSchema)
      .describe(`Event field → where to find it in the line. Fields: ${fieldNames.join(', ')}.`),
    match: z
      .array(z.record(z.string(), matchRuleSchema))
      .optional()
      .describe('A line is a request only when any entry matches; an entry matches when every path in it does. Omit to treat every JSON object as a request.'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    for (const [field, fs] of Object.entries(spec.fields)) {
      if (fs === undefined) continue;
      const kind = MAPPABLE_FIELDS[field as MappableField].kind;
      const unit = fs.unit;
      if (unit === undefined) continue;
      const ok =
        (kind === 'duration' && (DURATION_UNITS as readonly string[]).includes(unit)) ||
        (kind === 'bytes' && (BYTE_UNITS as readonly string[]).includes(unit));
      if (!ok) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', field, 'unit'],
          input: unit,
          message: kind === 'duration' ? `expected one of ${DURATION_UNITS.join('|')}` : kind === 'bytes' ? `expected one of ${BYTE_UNITS.join('|')}` : `field ${field} takes no unit`,
        });
      }
    }
  });

export type MappingSpec = z.output<typeof mappingSpecSchema>;
export type MappingSpecInput = z.input<typeof mappingSpecSchema>;
