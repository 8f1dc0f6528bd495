// Routes are declared once: the zod schemas validate requests and feed the OpenAPI document, and
// the access rule is both enforced (as route middleware) and published (`x-flagstaff-access`).
import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { describeAccess, isAllowed, type Access } from '../auth/access.ts';
import { AppError } from '../errors.ts';
import type { AppEnv } from './app-env.ts';
import { errorContent, errorResponses, notFoundResponse } from './error-schema.ts';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export const CSRF_HEADER = 'x-csrf-token';

export function requireAccess(access: Access) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if ('public' in access) return next();
    const principal = c.get('principal');
    if (!principal) {
      throw (
        c.get('credentialsError') ??
        new AppError('unauthorized', 'Authentication required: send "Authorization: Bearer <key>" or sign in')
      );
    }
    if (!isAllowed(access, principal)) {
      throw new AppError('forbidden', `This route needs ${describeAccess(access)}`);
    }
    // A cookie is sent by the browser on its own, so a cookie-authenticated mutation must also
    // prove it came from our page: the CSRF token only our page can read (double submit).
    if (principal.type === 'user' && !safeMethods.has(c.req.method)) {
      if (c.req.header(CSRF_HEADER) !== principal.session.csrfToken) {
        throw new AppError('csrf_failed', `Missing or wrong ${CSRF_HEADER} header`);
      }
    }
    return next();
  });
}

/** A route's own error answers (`404: { description }`) carry the error body like every other. */
function withErrorBodies(responses: RouteConfig['responses']): RouteConfig['responses'] {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) =>
      Number(status) >= 400 && !('content' in response && response.content)
        ? [status, { ...errorContent, ...response }]
        : [status, response],
    ),
  );
}

/**
 * A route with its access rule.
 * @example defineRoute({ method: 'get', path: '/api/v1/environments', access: { role: 'viewer' }, ... })
 */
export function defineRoute<const R extends Omit<RouteConfig, 'middleware'>>(config: R & { access: Access }) {
  const { access, ...route } = config;
  const security: Record<string, string[]>[] =
    'public' in access ? [] : 'role' in access ? [{ bearer: [] }, { session: [] }] : [{ bearer: [] }];
  return createRoute({
    ...route,
    responses: {
      ...errorResponses,
      ...(route.path.includes('{') ? notFoundResponse : {}),
      ...withErrorBodies(route.responses),
    },
    security,
    'x-flagstaff-access': describeAccess(access),
    middleware: [requireAccess(access)] as const,
  });
}
