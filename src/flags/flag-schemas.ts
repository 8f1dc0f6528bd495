import { z } from '@hono/zod-openapi';
import { Slug, NullableTimestamp, Timestamp } from '../http/schemas.ts';

export const ValueType = z.enum(['boolean', 'string', 'number', 'json']);

/** A MongoDB-style targeting condition; checked operator by operator when saved. */
export const Condition = z
  .record(z.string(), z.unknown())
  .openapi('Condition', { example: { country: { $in: ['NL', 'BE'] }, plan: 'pro' } });

const RuleId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, - or _');
const Attribute = z.string().min(1).max(100);

const ruleBase = {
  id: RuleId.optional().openapi({ description: 'Stable id; generated when left out' }),
  description: z.string().max(500).optional(),
  enabled: z.boolean().default(true),
  condition: Condition.optional(),
  segments: z
    .array(Slug)
    .max(20)
    .optional()
    .openapi({ description: 'Segment keys; the unit must be in all' }),
  prerequisites: z
    .array(z.strictObject({ flag: Slug, condition: Condition.openapi({ example: { value: true } }) }))
    .max(10)
    .optional()
    .openapi({ description: "Other flags' values this rule needs, as conditions on `{ value }`" }),
};

export const ForceRule = z
  .strictObject({ ...ruleBase, type: z.literal('force'), value: z.unknown() })
  .openapi('ForceRule', { description: 'Targeted value: units matching the condition get `value`' });

export const RolloutRule = z
  .strictObject({
    ...ruleBase,
    type: z.literal('rollout'),
    value: z.unknown(),
    coverage: z.number().min(0).max(1).openapi({ description: 'Share of matching units that get `value`' }),
    hashAttribute: Attribute.default('id'),
    seed: z.string().max(100).optional(),
  })
  .openapi('RolloutRule', { description: 'Percentage rollout, hashed on `hashAttribute`' });

export const ExperimentVariation = z.strictObject({
  key: z.string().min(1).max(64),
  value: z.unknown(),
  weight: z.number().min(0).max(1),
});

export const ExperimentRule = z
  .strictObject({
    ...ruleBase,
    type: z.literal('experiment'),
    experiment: Slug.openapi({ description: 'Experiment key, logged with every exposure' }),
    variations: z.array(ExperimentVariation).min(2).max(20),
    coverage: z.number().min(0).max(1).default(1),
    hashAttribute: Attribute.default('id'),
    fallbackAttribute: Attribute.optional(),
    seed: z.string().max(100).optional(),
    phase: z.string().max(32).optional(),
    namespace: z
      .strictObject({ key: Slug, range: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]) })
      .optional(),
  })
  .openapi('ExperimentRule', { description: 'Splits matching units between variations' });

export const Rule = z.discriminatedUnion('type', [ForceRule, RolloutRule, ExperimentRule]).openapi('Rule');
export type Rule = z.output<typeof Rule> & { id: string };

export const FlagKeyParam = z.object({ key: Slug.openapi({ param: { name: 'key', in: 'path' } }) });
export const FlagEnvParams = z.object({
  key: Slug.openapi({ param: { name: 'key', in: 'path' } }),
  environment: Slug.openapi({ param: { name: 'environment', in: 'path' } }),
});

const AvailableToClientKeys = z.boolean().nullable().openapi({
  description:
    "Served to client (browser) keys: in their ruleset and remote evaluation. null follows each environment's defaultAvailableToClientKeys (off unless changed); server keys always get every flag",
});

export const CreateFlag = z
  .strictObject({
    key: Slug,
    description: z.string().max(2000).default(''),
    valueType: ValueType,
    defaultValue: z.unknown().openapi({ description: 'Must match valueType' }),
    tags: z.array(Slug).max(50).default([]),
    owner: z.string().max(200).optional(),
    availableToClientKeys: AvailableToClientKeys.optional(),
  })
  .openapi('CreateFlag');

export const UpdateFlag = z
  .strictObject({
    description: z.string().max(2000).optional(),
    defaultValue: z.unknown().optional(),
    tags: z.array(Slug).max(50).optional(),
    owner: z.string().max(200).nullable().optional(),
    availableToClientKeys: AvailableToClientKeys.optional(),
  })
  .openapi('UpdateFlag');

export const FlagEnvironmentConfig = z
  .object({
    environment: Slug,
    enabled: z.boolean(),
    rules: z.array(Rule),
    version: z.number().int(),
    updatedAt: NullableTimestamp,
    updatedBy: z.string().nullable(),
  })
  .openapi('FlagEnvironmentConfig');

export const Flag = z
  .object({
    id: z.string(),
    key: Slug,
    description: z.string(),
    valueType: ValueType,
    defaultValue: z.unknown(),
    tags: z.array(z.string()),
    owner: z.string().nullable(),
    availableToClientKeys: AvailableToClientKeys,
    archived: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    environments: z.array(FlagEnvironmentConfig).optional(),
  })
  .openapi('Flag');

const Version = z
  .number()
  .int()
  .min(0)
  .openapi({ description: 'The version you read; or send it as If-Match' });

export const PutFlagConfig = z
  .strictObject({ enabled: z.boolean(), rules: z.array(Rule).max(200), version: Version.optional() })
  .openapi('PutFlagConfig');

export const PatchFlagConfig = z
  .strictObject({
    enabled: z.boolean().optional(),
    ruleOrder: z.array(RuleId).optional().openapi({ description: 'All rule ids, in the new order' }),
    ruleEnabled: z
      .record(RuleId, z.boolean())
      .optional()
      .openapi({ description: 'Switch single rules on or off by id' }),
    version: Version.optional(),
  })
  .openapi('PatchFlagConfig');

export const IfMatchHeader = z.object({
  'if-match': z
    .string()
    .regex(/^(W\/)?"?\d+"?$/, 'must be the config version, e.g. "3"')
    .optional()
    .openapi({ param: { name: 'if-match', in: 'header' } }),
});

export const ListFlagsQuery = z.strictObject({
  search: z.string().max(200).optional().openapi({ description: 'Matches key and description' }),
  tag: Slug.optional(),
  archived: z.enum(['true', 'false', 'all']).default('false'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: Slug.optional().openapi({ description: 'nextCursor of the previous page' }),
});

export const FlagPage = z
  .object({ items: z.array(Flag), nextCursor: z.string().nullable() })
  .openapi('FlagPage');

export const EvaluateFlag = z
  .strictObject({ environment: Slug, attributes: z.record(z.string(), z.unknown()).default({}) })
  .openapi('EvaluateFlagRequest');
