import { z } from '@hono/zod-openapi';
import { Name, Slug, Timestamp } from '../http/schemas.ts';

export const Environment = z
  .object({
    id: z.string(),
    key: Slug,
    name: Name,
    allowClientRuleset: z
      .boolean()
      .openapi({ description: 'Client keys may download the ruleset (see its rules)' }),
    defaultAvailableToClientKeys: z.boolean().openapi({
      description:
        'Whether flags whose availableToClientKeys is null (new flags) are served to client keys here',
    }),
    encryptionKey: z.string().nullable().openapi({
      description: 'When set, client keys get the ruleset AES-encrypted with it (SDK option decryptionKey)',
    }),
    revision: z.number().int().openapi({ description: 'Bumped on every change of the ruleset' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Environment');

export const CreateEnvironment = z.strictObject({ key: Slug, name: Name }).openapi('CreateEnvironment');

export const UpdateEnvironment = z
  .strictObject({
    key: Slug.optional(),
    name: Name.optional(),
    allowClientRuleset: z.boolean().optional(),
    defaultAvailableToClientKeys: z.boolean().optional().openapi({
      description: 'Serve flags that do not say (availableToClientKeys null, new flags) to client keys',
    }),
    encryptRuleset: z
      .boolean()
      .optional()
      .openapi({ description: 'true creates an encryption key; false removes it' }),
  })
  .openapi('UpdateEnvironment');

export const EnvironmentKeyParam = z.object({ key: Slug.openapi({ param: { name: 'key', in: 'path' } }) });
