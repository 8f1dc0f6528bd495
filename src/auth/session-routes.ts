import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppRouter } from '../http/app-env.ts';
import { caller } from '../http/caller.ts';
import { requestClientAddress, trustedProxies } from '../http/client-address.ts';
import { defineRoute } from '../http/define-route.ts';
import { jsonBody, jsonResponse } from '../http/schemas.ts';
import { toPublicUser } from './user-service.ts';
import { Login, LoginResult, Me } from './auth-schemas.ts';
import { SESSION_COOKIE } from './authenticate.ts';
import type { SessionService } from './session-service.ts';

const tags = ['Sessions'];

const login = defineRoute({
  method: 'post',
  path: '/api/v1/auth/login',
  access: { public: true },
  tags,
  summary: 'Sign in to the dashboard; sets the session cookie',
  request: { body: jsonBody(Login) },
  responses: {
    200: jsonResponse(LoginResult, 'Signed in; keep csrfToken for mutations'),
    429: { description: 'Too many failed attempts; see Retry-After' },
  },
});

const logout = defineRoute({
  method: 'post',
  path: '/api/v1/auth/logout',
  access: { role: 'viewer' },
  tags,
  summary: 'Sign out (ends the session)',
  responses: { 204: { description: 'Signed out' } },
});

const me = defineRoute({
  method: 'get',
  path: '/api/v1/auth/me',
  access: { role: 'viewer' },
  tags,
  summary: 'Who is calling: the signed-in user (with the CSRF token) or the admin key',
  responses: { 200: jsonResponse(Me, 'The caller') },
});

export function sessionRoutes(
  app: AppRouter,
  sessions: SessionService,
  options: { cookieSecure: boolean; trustedProxies: string[] },
): void {
  const trusted = trustedProxies(options.trustedProxies);
  app.openapi(login, async (c) => {
    const { email, password } = c.req.valid('json');
    const address = requestClientAddress(c, trusted);
    const result = await sessions.login(email, password, address, c.get('requestId'));
    const secure =
      options.cookieSecure ||
      new URL(c.req.url).protocol === 'https:' ||
      c.req.header('x-forwarded-proto') === 'https';
    setCookie(c, SESSION_COOKIE, result.token, {
      httpOnly: true,
      sameSite: 'Lax',
      secure,
      path: '/',
      expires: result.expiresAt,
    });
    return c.json({ user: result.user, csrfToken: result.csrfToken, expiresAt: result.expiresAt }, 200);
  });
  app.openapi(logout, async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token && c.get('principal')?.type === 'user') {
      const { actor, requestId } = caller(c);
      await sessions.logout(token, actor, requestId);
    }
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.body(null, 204);
  });
  app.openapi(me, async (c) => {
    const principal = c.get('principal')!;
    if (principal.type === 'user') {
      return c.json(
        { type: 'user' as const, user: toPublicUser(principal.user), csrfToken: principal.session.csrfToken },
        200,
      );
    }
    const { hash: _hash, environmentId: _env, ...key } = principal.key;
    return c.json({ type: 'key' as const, key }, 200);
  });
}
