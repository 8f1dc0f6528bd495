// The cross-cutting steps every request goes through, in one middleware: request id, secure
// headers, SDK CORS, body limits, then (after the route) metrics and the access log. Each step
// stays its own module; running them as separate Hono middlewares cost a dispatch layer each,
// about half of the server's work in answering an SDK's 304. `begin` and `finish` are also what a
// route answered ahead of the chain (the ruleset fast path) runs, so every answer is counted,
// logged and tagged alike.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from '../logger.ts';
import type { AppEnv } from './app-env.ts';
import type { HttpMetrics } from './metrics.ts';
import { requestHeader, responseHeader } from './node-headers.ts';
import { logRequest, type AnsweredRequest } from './request-log.ts';
import { secureHeaders } from './secure-headers.ts';

const validId = /^[\w\-=]{1,255}$/;

export interface RequestPipeline {
  middleware: MiddlewareHandler<AppEnv>;
  /**
   * Gives a request its id (the caller's own when it sent a sane one); returns the id, the start
   * time and the headers its answer must carry (the id, the secure headers, CORS on SDK routes).
   */
  begin(
    path: string,
    sentId: string | undefined,
  ): { id: string; start: number; headers: Record<string, string> };
  /** Counts and logs the answer given on a route template. */
  finish(request: AnsweredRequest, start: number): void;
}

export function requestPipeline(steps: {
  metrics: HttpMetrics;
  logger: Logger;
  /** CORS for the routes under a prefix (the SDK's): its simple-request headers and preflights. */
  cors: { prefix: string; headers: Record<string, string>; preflight: MiddlewareHandler };
  bodyLimits: MiddlewareHandler;
}): RequestPipeline {
  const { metrics, logger, cors, bodyLimits } = steps;
  // Built once: the SDK's hot path copies one object per answer.
  const corsPrefixHeaders = { ...secureHeaders(cors.prefix), ...cors.headers };
  const begin = (path: string, sentId: string | undefined) => {
    const start = performance.now();
    // A caller's own id is kept (to trace one action across services) when it is a sane token.
    const id = sentId !== undefined && validId.test(sentId) ? sentId : crypto.randomUUID();
    const headers = path.startsWith(cors.prefix)
      ? { 'X-Request-Id': id, ...corsPrefixHeaders }
      : { 'X-Request-Id': id, ...secureHeaders(path) };
    return { id, start, headers };
  };
  const finish = (request: AnsweredRequest, start: number) => {
    metrics.record(request.method, request.route, request.status, start);
    logRequest(logger, request, start);
  };
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const { id, start, headers } = begin(c.req.path, requestHeader(c, 'x-request-id'));
    c.set('requestId', id);
    for (const [name, value] of Object.entries(headers)) responseHeader(c, name, value);
    // Called directly rather than through Hono's compose, so an early answer (a preflight, a body
    // over the limit) is put in place here, as compose would (`next()` resolves to the context).
    const step =
      c.req.method === 'OPTIONS' && c.req.path.startsWith(cors.prefix) ? cors.preflight : bodyLimits;
    const early = await step(c, next);
    if (early instanceof Response) c.res = early;
    // The route template (`/api/v1/keys/:id`), never the raw path, keeps label cardinality bounded.
    const route = routePath(c);
    finish(
      {
        id,
        method: c.req.method,
        path: c.req.path,
        route: route === '/*' ? 'unmatched' : route,
        status: c.res.status,
      },
      start,
    );
  };
  return { middleware, begin, finish };
}
