// How GET /sdk/v1/ruleset answers, shared by its route and by the fast path in front of the
// middleware chain, so the two cannot drift apart.
import type { Context } from 'hono';
import type { Access } from '../auth/access.ts';
import type { ApiKey } from '../auth/api-key-store.ts';
import { AppError } from '../errors.ts';
import { plainResponse, requestHeader } from '../http/node-headers.ts';
import type { BuiltRuleset, ServedBody } from './ruleset-cache.ts';

export const rulesetAccess: Access = { sdk: ['server', 'client'] };

const clientRulesetRefused =
  'This environment does not let client keys download its rules: use POST /sdk/v1/evaluate, or allow client-side evaluation in the environment';

/** Which bytes a key gets; undefined when a client key may not see the rules. */
export function servedTo(key: ApiKey, built: BuiltRuleset): ServedBody | undefined {
  if (key.kind === 'server') return built.plain;
  return built.allowClientRuleset ? (built.encrypted ?? built.plain) : undefined;
}

/** servedTo(), or a 403 that says what to do instead. */
export function bodyFor(key: ApiKey, built: BuiltRuleset): ServedBody {
  const served = servedTo(key, built);
  if (!served) throw new AppError('forbidden', clientRulesetRefused);
  return served;
}

const etagMatches = (header: string | undefined, etag: string) =>
  header !== undefined && header.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*');

/** The ruleset with its strong ETag, or 304 when the caller already has it; `extra` headers too. */
export function rulesetAnswer(c: Context, served: ServedBody, extra?: Record<string, string>): Response {
  const headers = { ...extra, ETag: served.etag, 'Cache-Control': 'no-cache' };
  if (etagMatches(requestHeader(c, 'if-none-match'), served.etag))
    return plainResponse(c, null, 304, headers);
  return plainResponse(c, served.body, 200, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
  });
}
