import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errorBody } from './error-handler.ts';

/**
 * Caps request bodies by path: most routes take small JSON, a few (segment id lists, event
 * batches) legitimately need more. The first matching prefix wins.
 */
export function bodyLimits(
  limits: { prefix: string; maxSize: number }[],
  defaultMaxSize: number,
): MiddlewareHandler {
  const make = (maxSize: number) =>
    bodyLimit({
      maxSize,
      // Answered, not thrown: the request pipeline calls this step directly, outside Hono's
      // error handling.
      onError: (c) =>
        c.json(errorBody(c, 'payload_too_large', `body: larger than the limit of ${maxSize} bytes`), 413),
    });
  const byPrefix = limits.map(({ prefix, maxSize }) => ({ prefix, middleware: make(maxSize) }));
  const fallback = make(defaultMaxSize);
  return (c, next) => {
    // Bodiless methods skip the check: asking a Node request for its body builds a full Fetch
    // Request, which costs more than the whole of serving a cached ruleset.
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    return (byPrefix.find(({ prefix }) => c.req.path.startsWith(prefix))?.middleware ?? fallback)(c, next);
  };
}
