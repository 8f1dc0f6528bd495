import type { Clock } from '../clock.ts';
import type { Actor } from './actor.ts';
import type { AuditStore } from './audit-store.ts';

export interface AuditRecord {
  actor: Actor;
  action: string;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
  requestId?: string;
}

/**
 * Records one mutation. Call it inside the same `db.transaction` as the change it describes, so
 * that a change without its audit entry (or the reverse) can never be committed.
 */
export class AuditLog {
  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
  ) {}

  record(entry: AuditRecord): Promise<void> {
    return this.store.append({
      at: this.clock.now(),
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      actorLabel: entry.actor.label,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      before: entry.before ?? null,
      after: entry.after ?? null,
      requestId: entry.requestId ?? null,
    });
  }
}
