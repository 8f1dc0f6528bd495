import { z } from '@hono/zod-openapi';

export const RulesetPayload = z
  .object({
    features: z.record(z.string(), z.unknown()).optional(),
    savedGroups: z.record(z.string(), z.array(z.unknown())).optional(),
    encryptedFeatures: z.string().optional(),
    encryptedSavedGroups: z.string().optional(),
    dateUpdated: z.string(),
  })
  .openapi('Ruleset', { description: 'GrowthBook SDK payload format (spec 0.8)' });

export const RemoteEvaluate = z
  .strictObject({
    attributes: z.record(z.string(), z.unknown()).default({}),
    flags: z
      .array(z.string().max(64))
      .max(1000)
      .optional()
      .openapi({ description: 'Only these flags (default: all)' }),
  })
  .openapi('RemoteEvaluateRequest');

export const Exposure = z
  .object({
    flag: z.string(),
    experiment: z.string(),
    variation: z.string(),
    variationId: z.number().int(),
    hashAttribute: z.string(),
    unit: z.string(),
    bucket: z.number(),
  })
  .openapi('Exposure', { description: 'What the SDK logs to /sdk/v1/events when it uses the value' });

export const FlagResult = z
  .object({
    value: z.unknown(),
    on: z.boolean(),
    reason: z.string(),
    ruleId: z.string().optional(),
    variationId: z.number().int().optional(),
    variationKey: z.string().optional(),
    exposure: Exposure.optional(),
  })
  .openapi('FlagResult');

export const RemoteEvaluateResult = z
  .object({ flags: z.record(z.string(), FlagResult), dateUpdated: z.string() })
  .openapi('RemoteEvaluateResult');

export const StreamQuery = z.object({
  key: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: 'The SDK key, for EventSource, which cannot send headers' }),
  patches: z.enum(['0', '1', '2']).optional().openapi({
    description:
      '`1`: after the first ruleset, send each change as `event: patch` with only the changed features (`{"base": revision it applies to, "features": {key: definition or null when removed}, "dateUpdated"}`) when that is smaller; whole `ruleset` events otherwise (and always for encrypted rulesets). `2`: the same, and encrypted rulesets too as patches (`{"base", "encryptedFeatures": the changed features\' JSON encrypted like the ruleset\'s, "dateUpdated"}`)',
  }),
});
