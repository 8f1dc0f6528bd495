// CORS for the SDK routes. SDK keys are bearer tokens, never cookies, so any origin may call them.
// Preflights go to Hono's cors(); other requests get the same two headers from the request
// pipeline. Hono's cors() writes them to c.res instead, which makes Hono build a placeholder
// Response before the handler and copy it into the real one afterwards: that copy turns a string
// body into a web stream, and cost more than half the throughput of GET /sdk/v1/ruleset.
import { cors } from 'hono/cors';

export function sdkCors(options: { allowHeaders: string[]; exposeHeaders: string[]; maxAge: number }) {
  return {
    preflight: cors({ origin: '*', ...options }),
    headers: {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': options.exposeHeaders.join(','),
    },
  };
}
