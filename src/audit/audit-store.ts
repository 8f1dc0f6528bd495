import { and, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import type { Db } from '../db/open-db.ts';
import { auditLog } from '../db/schema.ts';

export type AuditEntry = typeof auditLog.$inferSelect;
export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditFilter {
  actorType?: AuditEntry['actorType'];
  actorId?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  since?: Date;
  until?: Date;
  /** Only entries older than this id (the cursor of the previous page). */
  beforeId?: number;
  limit: number;
}

export interface AuditStore {
  append(entry: NewAuditEntry): Promise<void>;
  /** Newest first. */
  find(filter: AuditFilter): Promise<AuditEntry[]>;
}

export function sqliteAuditStore({ orm }: Db): AuditStore {
  return {
    async append(entry) {
      orm.insert(auditLog).values(entry).run();
    },
    async find(filter) {
      const where: SQL[] = [];
      if (filter.actorType) where.push(eq(auditLog.actorType, filter.actorType));
      if (filter.actorId) where.push(eq(auditLog.actorId, filter.actorId));
      if (filter.action) where.push(eq(auditLog.action, filter.action));
      if (filter.targetType) where.push(eq(auditLog.targetType, filter.targetType));
      if (filter.targetId) where.push(eq(auditLog.targetId, filter.targetId));
      if (filter.since) where.push(gte(auditLog.at, filter.since));
      if (filter.until) where.push(lte(auditLog.at, filter.until));
      if (filter.beforeId !== undefined) where.push(lt(auditLog.id, filter.beforeId));
      return orm
        .select()
        .from(auditLog)
        .where(and(...where))
        .orderBy(desc(auditLog.id))
        .limit(filter.limit)
        .all();
    },
  };
}
