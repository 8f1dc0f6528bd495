// Refuses JSON request bodies that nest too deep before anything parses them into a value that zod,
// the condition validator or the stores would walk recursively: a 3,000-deep body is a 400 naming
// where it goes too deep, never a stack overflow (a 500, which SDKs would retry). Routes then check
// each stored field against its own limits (json-limits.ts).
import type { MiddlewareHandler } from 'hono';
import { AppError, validationFailed } from '../errors.ts';
import { shortPath, textNestsDeeperThan, tooDeepAt } from '../json-limits.ts';
import type { AppEnv } from './app-env.ts';
import { requestHeader } from './node-headers.ts';

const jsonType = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * @param maxDepth how deep a body may nest (MAX_JSON_DEPTH plus room for the request's own structure)
 * @param skip path prefixes that read and check their bodies themselves (event batches, per event)
 * @example app.use(jsonDepthGuard(40, ['/sdk/v1/events']))
 */
export function jsonDepthGuard(maxDepth: number, skip: string[] = []): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    if (!jsonType.test(requestHeader(c, 'content-type') ?? '')) return next();
    if (skip.some((prefix) => c.req.path.startsWith(prefix))) return next();
    // Hono keeps the text: the route's validator parses it from there, the body is read once.
    const text = await c.req.text();
    if (!textNestsDeeperThan(text, maxDepth)) return next();
    let value: unknown;
    try {
      value = JSON.parse(text); // V8 parses iteratively; only walking the result recursively hurts
    } catch {
      throw new AppError('malformed_json', 'body: Malformed JSON in request body');
    }
    const path = shortPath(['body', ...(tooDeepAt(value, maxDepth) ?? [])]);
    throw validationFailed([
      { path, message: `nested more than ${maxDepth} levels deep (objects and arrays)` },
    ]);
  };
}
