import { z } from '@hono/zod-openapi';
import { Condition } from '../flags/flag-schemas.ts';
import { Name, Slug, Timestamp } from '../http/schemas.ts';

const common = { name: Name, description: z.string().max(2000).default('') };

const ConditionSegment = z.strictObject({ ...common, kind: z.literal('condition'), condition: Condition });
const IdsSegment = z.strictObject({
  ...common,
  kind: z.literal('ids'),
  attribute: z
    .string()
    .min(1)
    .max(100)
    .default('id')
    .openapi({ description: 'The attribute holding the id' }),
  ids: z.array(z.string().min(1).max(256)).max(1_000_000),
});

export const SegmentDefinition = z
  .discriminatedUnion('kind', [ConditionSegment, IdsSegment])
  .openapi('SegmentDefinition');

export const CreateSegment = z
  .discriminatedUnion('kind', [ConditionSegment.extend({ key: Slug }), IdsSegment.extend({ key: Slug })])
  .openapi('CreateSegment');

export const Segment = z
  .object({
    id: z.string(),
    key: Slug,
    name: z.string(),
    description: z.string(),
    kind: z.enum(['condition', 'ids']),
    // A union, not `Condition.nullable()`: that documents `allOf: [Condition, {type: [object, null]}]`,
    // which null does not satisfy (Condition is an object).
    condition: z.union([Condition, z.null()]),
    attribute: z.string().nullable(),
    idCount: z.number().int(),
    ids: z.array(z.string()).optional().openapi({ description: 'Only when asked for, with ?include=ids' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Segment');

export const SegmentKeyParam = z.object({ key: Slug.openapi({ param: { name: 'key', in: 'path' } }) });
export const SegmentQuery = z.strictObject({ include: z.enum(['ids']).optional() });
