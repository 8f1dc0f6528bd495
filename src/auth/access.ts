// Who may call a route. Every route declares an Access; the route-table test walks them all.
import type { Actor } from '../audit/actor.ts';
import type { ApiKey } from './api-key-store.ts';
import type { Session, User } from './user-store.ts';

export const roles = ['viewer', 'editor', 'releaser', 'admin'] as const;
export type Role = (typeof roles)[number];

/** Roles are cumulative: an editor can do what a viewer can, a releaser what an editor can. */
const rank: Record<Role, number> = { viewer: 0, editor: 1, releaser: 2, admin: 3 };

export type SdkKeyKind = 'client' | 'server';

export type Access =
  | { public: true }
  /** Signed-in users with at least `role`, and admin API keys (automation acts as an admin). */
  | { role: Role }
  /** SDK keys of these kinds only. */
  | { sdk: SdkKeyKind[] };

export type Principal = { type: 'user'; user: User; session: Session } | { type: 'key'; key: ApiKey };

export function isAllowed(access: Access, principal: Principal): boolean {
  if ('public' in access) return true;
  if ('role' in access) {
    if (principal.type === 'user') return rank[principal.user.role] >= rank[access.role];
    return principal.key.kind === 'admin';
  }
  return principal.type === 'key' && (access.sdk as string[]).includes(principal.key.kind);
}

/** How an Access reads in the OpenAPI document and in error messages. */
export function describeAccess(access: Access): string {
  if ('public' in access) return 'public';
  if ('role' in access) return `role:${access.role}`;
  return `sdk:${access.sdk.join(',')}`;
}

export function actorOf(principal: Principal): Actor {
  if (principal.type === 'user') return { type: 'user', id: principal.user.id, label: principal.user.email };
  return { type: 'key', id: principal.key.id, label: `${principal.key.name} (${principal.key.id})` };
}
