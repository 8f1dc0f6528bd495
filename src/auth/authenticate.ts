// Resolves who is calling, once per request: an API key (`Authorization: Bearer fs_…`) or a
// dashboard session cookie. It never rejects by itself: routes decide through their Access, so a
// public route still answers when stale credentials come along.
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { AppEnv } from '../http/app-env.ts';
import { requestHeader } from '../http/node-headers.ts';
import type { ApiKey, ApiKeyStore } from './api-key-store.ts';
import type { KeyCache } from './key-cache.ts';
import { sha256 } from './secrets.ts';
import type { UserStore } from './user-store.ts';

export const SESSION_COOKIE = 'flagstaff_session';

/** Last-used times are written at most this often per key, to keep writes off the SDK hot path. */
const touchIntervalMs = 60_000;

/** Whether this key's last-used time is stale enough to be written now. */
export const touchDue = (key: ApiKey, now: Date) =>
  !key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > touchIntervalMs;

export type PresentedKey = { secret: string } | 'malformed' | undefined;

/**
 * The API key a request presents: its secret, or `malformed` when the Authorization header is not
 * "Bearer <key>"; undefined when none is sent. EventSource cannot send headers, so SDK routes also
 * take the key as `?key=` (`queryKey` is asked only when there is no header).
 */
export function parseKey(
  authorization: string | undefined,
  queryKey: () => string | undefined,
): PresentedKey {
  if (authorization === undefined) {
    const secret = queryKey();
    return secret ? { secret } : undefined;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? { secret: match[1]! } : 'malformed';
}

const presentedKey = (c: Context): PresentedKey =>
  parseKey(requestHeader(c, 'authorization'), () =>
    c.req.path.startsWith('/sdk/') ? c.req.query('key') : undefined,
  );

export function authenticate(deps: {
  keyCache: KeyCache;
  keys: ApiKeyStore;
  users: UserStore;
  clock: Clock;
}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const presented = presentedKey(c);
    if (presented !== undefined) {
      const key =
        presented === 'malformed' ? undefined : await deps.keyCache.activeBySecret(presented.secret);
      if (key) {
        c.set('principal', { type: 'key', key });
        const now = deps.clock.now();
        if (touchDue(key, now)) {
          key.lastUsedAt = now; // the cached copy too, so the next requests do not write again
          await deps.keys.touch(key.id, now);
        }
      } else {
        c.set(
          'credentialsError',
          new AppError(
            'unauthorized',
            presented === 'malformed'
              ? 'Authorization header must be "Bearer <key>"'
              : 'Invalid or revoked API key',
          ),
        );
      }
      return next();
    }
    const token = getCookie(c, SESSION_COOKIE);
    if (token) {
      const found = await deps.users.findSession(sha256(token), deps.clock.now());
      if (found) c.set('principal', { type: 'user', ...found });
      else
        c.set(
          'credentialsError',
          new AppError('unauthorized', 'Session expired or signed out: sign in again'),
        );
    }
    return next();
  });
}
