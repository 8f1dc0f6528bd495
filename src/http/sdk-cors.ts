// CORS for the SDK routes. SDK keys are bearer tokens, never cookies, so any origin may call them.
// Preflights go to Hono's cors(); other requests get the same two headers through c.header().
// Hono's cors() writes them to c.res instead, which makes Hono build a placeholder Response
// before the handler and copy it into the real one afterwards: that copy turns a string body into
// a web stream, and cost more than half the throughput of GET /sdk/v1/ruleset.
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

export function sdkCors(options: { allowHeaders: string[]; exposeHeaders: string[]; maxAge: number }) {
  const preflight = cors({ origin: '*', ...options });
  const expose = options.exposeHeaders.join(',');
  const middleware: MiddlewareHandler = (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Expose-Headers', expose);
    return next();
  };
  return middleware;
}
