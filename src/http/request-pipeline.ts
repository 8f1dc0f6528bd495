// The cross-cutting steps every request goes through, in one middleware: request id, SDK CORS,
// body limits, then (after the route) metrics and the access log. Each step stays its own module;
// running them as five Hono middlewares cost a dispatch layer each, about half of the server's
// work in answering an SDK's 304. `begin` and `finish` are also what a route answered ahead of
// the chain (the ruleset fast path) runs, so every answer is counted, logged and tagged alike.
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from '../logger.ts';
import type { AppEnv } from './app-env.ts';
import type { HttpMetrics } from './metrics.ts';
import { requestHeader, responseHeader } from './node-headers.ts';
import { logRequest } from './request-log.ts';

const validId = /^[\w\-=]{1,255}$/;

export interface RequestPipeline {
  middleware: MiddlewareHandler<AppEnv>;
  /**
   * Gives the request its id; returns its start time and the headers its answer must carry
   * (the id, and CORS on SDK routes).
   */
  begin(c: Context<AppEnv>): { start: number; headers: Record<string, string> };
  /** Counts and logs the answer given on a route template. */
  finish(c: Context<AppEnv>, route: string, status: number, start: number): void;
}

export function requestPipeline(steps: {
  metrics: HttpMetrics;
  logger: Logger;
  /** CORS for the routes under a prefix (the SDK's): its simple-request headers and preflights. */
  cors: { prefix: string; headers: Record<string, string>; preflight: MiddlewareHandler };
  bodyLimits: MiddlewareHandler;
}): RequestPipeline {
  const { metrics, logger, cors, bodyLimits } = steps;
  const begin = (c: Context<AppEnv>) => {
    const start = performance.now();
    // A caller's own id is kept (to trace one action across services) when it is a sane token.
    const sent = requestHeader(c, 'x-request-id');
    const id = sent !== undefined && validId.test(sent) ? sent : crypto.randomUUID();
    c.set('requestId', id);
    const headers = c.req.path.startsWith(cors.prefix)
      ? { 'X-Request-Id': id, ...cors.headers }
      : { 'X-Request-Id': id };
    return { start, headers };
  };
  const finish = (c: Context<AppEnv>, route: string, status: number, start: number) => {
    metrics.record(c.req.method, route, status, start);
    logRequest(logger, c, status, start);
  };
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const { start, headers } = begin(c);
    for (const [name, value] of Object.entries(headers)) responseHeader(c, name, value);
    // Called directly rather than through Hono's compose, so an early answer (a preflight, a body
    // over the limit) is put in place here, as compose would (`next()` resolves to the context).
    const step =
      c.req.method === 'OPTIONS' && c.req.path.startsWith(cors.prefix) ? cors.preflight : bodyLimits;
    const early = await step(c, next);
    if (early instanceof Response) c.res = early;
    // The route template (`/api/v1/keys/:id`), never the raw path, keeps label cardinality bounded.
    const route = routePath(c);
    finish(c, route === '/*' ? 'unmatched' : route, c.res.status, start);
  };
  return { middleware, begin, finish };
}
