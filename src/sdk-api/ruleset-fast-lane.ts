// GET /sdk/v1/ruleset is what every SDK polls, most often to hear 304. On a Node server, when the
// key and the ruleset are both in memory, it is answered here, in front of the router, in one
// synchronous step: Hono's routing, context and async middleware chain cost more than the answer
// itself. Everything else (cold caches, a last-used time due to be written, a refusal, any other
// request) goes on to the app, whose route answers the same way through the same functions
// (ruleset-answer.ts), with the same headers, metrics and access log (request-pipeline.ts).
import type { ExecutionContext } from 'hono';
import type { IncomingMessage } from 'node:http';
import { isAllowed } from '../auth/access.ts';
import { parseKey, touchDue } from '../auth/authenticate.ts';
import type { KeyCache } from '../auth/key-cache.ts';
import type { Clock } from '../clock.ts';
import type { RequestPipeline } from '../http/request-pipeline.ts';
import { RULESET_PATH, rulesetAccess, rulesetAnswer, servedTo } from './ruleset-answer.ts';
import type { RulesetCache } from './ruleset-cache.ts';

type Fetch = (
  request: Request,
  env?: unknown,
  executionCtx?: ExecutionContext,
) => Response | Promise<Response>;

export function withRulesetFastLane(
  fetch: Fetch,
  deps: { keyCache: KeyCache; rulesets: RulesetCache; pipeline: RequestPipeline; clock: Clock },
): Fetch {
  const answer = (incoming: IncomingMessage): Response | undefined => {
    if (incoming.method !== 'GET' || !incoming.url?.startsWith(RULESET_PATH)) return undefined;
    const url = incoming.url;
    const query = url.length > RULESET_PATH.length && url[RULESET_PATH.length] === '?';
    if (url.length !== RULESET_PATH.length && !query) return undefined;
    // A key in the query is refused (by the app, which says why); other parameters are ignored.
    if (query && new URLSearchParams(url.slice(RULESET_PATH.length + 1)).has('key')) return undefined;
    const presented = parseKey(incoming.headers.authorization);
    const now = deps.clock.now();
    const key = presented && 'secret' in presented ? deps.keyCache.peek(presented.secret, now) : undefined;
    if (!key?.environmentId || touchDue(key, now)) return undefined;
    if (!isAllowed(rulesetAccess, { type: 'key', key })) return undefined;
    const built = deps.rulesets.peek(key.environmentId);
    const served = built && servedTo(key, built);
    if (!served) return undefined;
    const sentId = incoming.headers['x-request-id'];
    const { id, start, headers } = deps.pipeline.begin(
      RULESET_PATH,
      Array.isArray(sentId) ? undefined : sentId,
    );
    const { status, body } = rulesetAnswer(served, incoming.headers['if-none-match'], headers);
    deps.pipeline.finish({ id, method: 'GET', path: RULESET_PATH, route: RULESET_PATH, status }, start);
    return new Response(body, { status, headers });
  };
  return (request, env, executionCtx) => {
    const incoming = (env as { incoming?: IncomingMessage } | undefined)?.incoming;
    return (incoming && answer(incoming)) ?? fetch(request, env, executionCtx);
  };
}
