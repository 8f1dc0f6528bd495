import type { AppRouter } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { jsonResponse } from '../http/schemas.ts';
import { AuditPage, AuditQuery } from './audit-schemas.ts';
import type { AuditStore } from './audit-store.ts';

const list = defineRoute({
  method: 'get',
  path: '/api/v1/audit',
  access: { role: 'viewer' },
  tags: ['Audit'],
  summary: 'The audit log, newest first, with filters and cursor pagination',
  request: { query: AuditQuery },
  responses: { 200: jsonResponse(AuditPage, 'One page of entries; pass nextCursor as cursor for the next') },
});

export function auditRoutes(app: AppRouter, store: AuditStore): void {
  app.openapi(list, async (c) => {
    const { cursor, limit, ...filter } = c.req.valid('query');
    // One extra row tells whether another page exists without a count query.
    const rows = await store.find({
      ...filter,
      limit: limit + 1,
      beforeId: cursor ? Number(cursor) : undefined,
    });
    const page = rows.slice(0, limit);
    const items = page.map((row) => ({
      id: row.id,
      at: row.at,
      actor: { type: row.actorType, id: row.actorId, label: row.actorLabel },
      action: row.action,
      target: { type: row.targetType, id: row.targetId },
      before: row.before,
      after: row.after,
      requestId: row.requestId,
    }));
    const nextCursor = rows.length > limit ? String(page[page.length - 1]!.id) : null;
    return c.json({ items, nextCursor }, 200);
  });
}
