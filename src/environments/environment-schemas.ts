import { z } from '@hono/zod-openapi';
import { Name, Slug, Timestamp } from '../http/schemas.ts';

export const Environment = z
  .object({ id: z.string(), key: Slug, name: Name, createdAt: Timestamp, updatedAt: Timestamp })
  .openapi('Environment');

export const CreateEnvironment = z.strictObject({ key: Slug, name: Name }).openapi('CreateEnvironment');

export const UpdateEnvironment = z
  .strictObject({ key: Slug.optional(), name: Name.optional() })
  .openapi('UpdateEnvironment');

export const EnvironmentKeyParam = z.object({ key: Slug.openapi({ param: { name: 'key', in: 'path' } }) });
