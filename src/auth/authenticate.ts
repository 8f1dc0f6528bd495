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
import { isKeyShaped } from './key-shape.ts';
import { sha256 } from './secrets.ts';
import type { UserStore } from './user-store.ts';

export const SESSION_COOKIE = 'flagstaff_session';

/** Last-used times are written at most this often per key, to keep writes off the SDK hot path. */
const touchIntervalMs = 60_000;

/** Whether this key's last-used time is stale enough to be written now. */
export const touchDue = (key: ApiKey, now: Date) =>
  !key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > touchIntervalMs;

/** A presented token that may be a key, or why the request's credentials are refused unread. */
export type PresentedKey = { secret: string } | { refused: string } | undefined;

/**
 * The only routes that take the key as `?key=`: EventSource (the stream) and `navigator.sendBeacon`
 * (events) cannot send headers. Anywhere else a key in the URL would only end up in access logs,
 * proxies and browser history, so it is refused, naming why.
 */
export const QUERY_KEY_PATHS: ReadonlySet<string> = new Set(['/sdk/v1/stream', '/sdk/v1/events']);

export const queryKeyRefused =
  '?key= is accepted only by /sdk/v1/stream and /sdk/v1/events (EventSource and sendBeacon cannot send headers): send "Authorization: Bearer <key>", since keys in URLs end up in logs';

const notAKey = (secret: string): PresentedKey =>
  isKeyShaped(secret) ? { secret } : { refused: 'Not an API key: keys are 32 to 200 URL-safe characters' };

/**
 * The API key a request presents: its secret when it has a key's shape, else why it is refused
 * (an Authorization header that is not "Bearer <key>", or a token that cannot be a key); undefined
 * when none is sent. `queryKey` (`?key=`, for the routes in QUERY_KEY_PATHS) counts only without
 * a header.
 */
export function parseKey(authorization: string | undefined, queryKey?: string): PresentedKey {
  if (authorization === undefined) return queryKey ? notAKey(queryKey) : undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? notAKey(match[1]!) : { refused: 'Authorization header must be "Bearer <key>"' };
}

function presentedKey(c: Context): PresentedKey {
  const authorization = requestHeader(c, 'authorization');
  if (!c.req.path.startsWith('/sdk/')) return parseKey(authorization);
  const queryKey = c.req.query('key');
  if (queryKey !== undefined && !QUERY_KEY_PATHS.has(c.req.path)) return { refused: queryKeyRefused };
  return parseKey(authorization, queryKey);
}

export function authenticate(deps: {
  keyCache: KeyCache;
  keys: ApiKeyStore;
  users: UserStore;
  clock: Clock;
}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const presented = presentedKey(c);
    if (presented !== undefined) {
      const key = 'secret' in presented ? await deps.keyCache.activeBySecret(presented.secret) : undefined;
      if (key) {
        c.set('principal', { type: 'key', key });
        const now = deps.clock.now();
        if (touchDue(key, now)) {
          key.lastUsedAt = now; // the cached copy too, so the next requests do not write again
          // Best effort: a locked or full database must not fail the request it rides on.
          await deps.keys.touch(key.id, now).catch(() => undefined);
        }
      } else {
        c.set(
          'credentialsError',
          new AppError(
            'unauthorized',
            'refused' in presented ? presented.refused : 'Invalid or revoked API key',
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
