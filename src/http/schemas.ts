// Building blocks shared by the request and response schemas of every domain.
import { z } from '@hono/zod-openapi';

/** A lowercase, URL-safe key such as `production` or `new-checkout`. */
export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9]+(?:[-_][a-z0-9]+)*$/, 'must be lowercase letters, digits, - or _ (e.g. "new-checkout")');

export const Name = z.string().trim().min(1).max(200);

/** Timestamps leave the API as ISO-8601 strings. */
export const Timestamp = z.date().openapi({ type: 'string', format: 'date-time' });
/**
 * A timestamp that may be null. `Timestamp.nullable()` documents plain `string`: the type given to
 * `Timestamp` for the document wins over the null that `nullable()` adds.
 */
export const NullableTimestamp = z
  .date()
  .nullable()
  .openapi({ type: ['string', 'null'], format: 'date-time' });

export const IdParam = (name: string, prefix: string) =>
  z.object({
    [name]: z
      .string()
      .regex(new RegExp(`^${prefix}_[A-Za-z0-9_-]{1,40}$`), `must be an id like ${prefix}_…`)
      .openapi({ param: { name, in: 'path' } }),
  });

export const jsonBody = <T extends z.ZodType>(schema: T, description = '') => ({
  content: { 'application/json': { schema } },
  required: true,
  description,
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
