// How GET /sdk/v1/ruleset answers, shared by its route and by the fast lane in front of the
// router, so the two cannot drift apart.
import type { Access } from '../auth/access.ts';
import type { ApiKey } from '../auth/api-key-store.ts';
import { AppError } from '../errors.ts';
import type { BuiltRuleset, ServedBody } from './ruleset-cache.ts';

export const RULESET_PATH = '/sdk/v1/ruleset';

export const rulesetAccess: Access = { sdk: ['server', 'client'] };

const clientRulesetRefused =
  'This environment does not let client keys download its rules: use POST /sdk/v1/evaluate, or allow client-side evaluation in the environment';

/**
 * Which bytes a key gets: server keys every flag, client keys only the flags available to them
 * (encrypted where the environment encrypts); undefined when a client key may not see the rules.
 */
export function servedTo(key: ApiKey, built: BuiltRuleset): ServedBody | undefined {
  if (key.kind === 'server') return built.plain;
  return built.allowClientRuleset ? (built.encrypted ?? built.clientPlain) : undefined;
}

/** servedTo(), or a 403 that says what to do instead. */
export function bodyFor(key: ApiKey, built: BuiltRuleset): ServedBody {
  const served = servedTo(key, built);
  if (!served) throw new AppError('forbidden', clientRulesetRefused);
  return served;
}

// The common case, one tag sent back exactly as we gave it, is tested before splitting lists.
const etagMatches = (header: string | undefined, etag: string) =>
  header === etag ||
  (header !== undefined && header.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*'));

/**
 * The ruleset with its strong ETag, or 304 when the caller already has it. Its headers are added
 * to `headers` (the request's own, from the pipeline), which becomes the answer's.
 */
export function rulesetAnswer(
  served: ServedBody,
  ifNoneMatch: string | undefined,
  headers: Record<string, string>,
) {
  headers['ETag'] = served.etag;
  headers['Cache-Control'] = 'no-cache';
  if (etagMatches(ifNoneMatch, served.etag)) return { status: 304 as const, body: null, headers };
  headers['Content-Type'] = 'application/json; charset=utf-8';
  return { status: 200 as const, body: served.body, headers };
}
