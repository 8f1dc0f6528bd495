import { z } from '@hono/zod-openapi';
import { Timestamp } from '../http/schemas.ts';

export const AuditEntry = z
  .object({
    id: z.number().int(),
    at: Timestamp,
    actor: z.object({
      type: z.enum(['user', 'key', 'system']),
      id: z.string().nullable(),
      label: z.string(),
    }),
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string() }),
    before: z.unknown().nullable(),
    after: z.unknown().nullable(),
    requestId: z.string().nullable(),
  })
  .openapi('AuditEntry');

const isoDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

export const AuditQuery = z.strictObject({
  actorType: z.enum(['user', 'key', 'system']).optional(),
  actorId: z.string().max(100).optional(),
  action: z.string().max(100).optional().openapi({ example: 'key.create' }),
  targetType: z.string().max(100).optional(),
  targetId: z.string().max(100).optional(),
  since: isoDate.optional().openapi({ type: 'string', format: 'date-time' }),
  until: isoDate.optional().openapi({ type: 'string', format: 'date-time' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'must be the nextCursor of a previous page')
    .optional(),
});

export const AuditPage = z
  .object({ items: z.array(AuditEntry), nextCursor: z.string().nullable() })
  .openapi('AuditPage');
