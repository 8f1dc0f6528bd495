import type { Context } from 'hono';
import { actorOf } from '../auth/access.ts';
import type { Actor } from '../audit/actor.ts';
import type { AppEnv } from './app-env.ts';

/** The actor and request id of an authenticated request, for services and the audit log. */
export function caller(c: Context<AppEnv>): { actor: Actor; requestId: string } {
  const principal = c.get('principal');
  if (!principal) throw new Error('caller() used on a route without authentication');
  return { actor: actorOf(principal), requestId: c.get('requestId') };
}
