// GET /sdk/v1/ruleset is what every SDK polls. When the key and the ruleset are both already in
// memory, it is answered here, ahead of the middleware chain, in one synchronous step: the chain's
// async layers cost more than the answer itself. Everything else (cold caches, a last-used time
// due to be written, a refusal, other methods) goes on to the regular route, which answers the
// same way through the same functions.
import type { MiddlewareHandler } from 'hono';
import { isAllowed } from '../auth/access.ts';
import { presentedKey, touchDue } from '../auth/authenticate.ts';
import type { KeyCache } from '../auth/key-cache.ts';
import type { Clock } from '../clock.ts';
import type { AppEnv } from '../http/app-env.ts';
import type { RequestPipeline } from '../http/request-pipeline.ts';
import { rulesetAccess, rulesetAnswer, servedTo } from './ruleset-answer.ts';
import type { RulesetCache } from './ruleset-cache.ts';

export const RULESET_PATH = '/sdk/v1/ruleset';

export function rulesetFastPath(deps: {
  keyCache: KeyCache;
  rulesets: RulesetCache;
  pipeline: RequestPipeline;
  clock: Clock;
}): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    if (c.req.method !== 'GET') return next();
    const presented = presentedKey(c);
    const now = deps.clock.now();
    const key = typeof presented === 'object' ? deps.keyCache.peek(presented.secret, now) : undefined;
    if (!key?.environmentId || touchDue(key, now)) return next();
    const principal = { type: 'key', key } as const;
    if (!isAllowed(rulesetAccess, principal)) return next();
    const built = deps.rulesets.peek(key.environmentId);
    const served = built && servedTo(key, built);
    if (!served) return next();
    const { start, headers } = deps.pipeline.begin(c);
    c.set('principal', principal);
    const response = rulesetAnswer(c, served, headers);
    deps.pipeline.finish(c, RULESET_PATH, response.status, start);
    return Promise.resolve(response);
  };
}
