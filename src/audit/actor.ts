// Who did something: a signed-in user, an API key, or the service itself (seeding, scheduler).
import type { AuditEntry } from './audit-store.ts';

export interface Actor {
  type: AuditEntry['actorType'];
  id: string | null;
  label: string;
}

export const systemActor: Actor = { type: 'system', id: null, label: 'system' };
