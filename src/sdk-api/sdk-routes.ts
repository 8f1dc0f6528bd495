// What SDKs call: the ruleset (ETag/304), its stream (SSE), and remote evaluation for browsers
// that must not see targeting rules.
import { evaluate } from '@flagstaff/sdk/core';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ApiKey } from '../auth/api-key-store.ts';
import { AppError } from '../errors.ts';
import type { AppEnv, AppRouter } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { jsonBody, jsonResponse } from '../http/schemas.ts';
import { flagResult } from './flag-result.ts';
import type { BuiltRuleset, RulesetCache, ServedBody } from './ruleset-cache.ts';
import { RemoteEvaluate, RemoteEvaluateResult, RulesetPayload, StreamQuery } from './sdk-schemas.ts';
import type { StreamHub } from './stream-hub.ts';

const tags = ['SDK'];

const ruleset = defineRoute({
  method: 'get',
  path: '/sdk/v1/ruleset',
  access: { sdk: ['server', 'client'] },
  tags,
  summary: "The key's environment ruleset; answers 304 to a matching If-None-Match",
  description:
    'Client keys get it only where the environment allows client-side evaluation (encrypted if it encrypts).',
  responses: {
    200: jsonResponse(RulesetPayload, 'The ruleset, with a strong ETag'),
    304: { description: 'Unchanged' },
  },
});

const stream = defineRoute({
  method: 'get',
  path: '/sdk/v1/stream',
  access: { sdk: ['server', 'client'] },
  tags,
  summary: 'Server-Sent Events: `event: ruleset` with the whole ruleset on connect and on every change',
  description:
    '`id` is the ruleset revision; send it back as Last-Event-ID to skip an unchanged ruleset. Comment lines `: ping` are heartbeats.',
  request: { query: StreamQuery },
  responses: {
    200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: RulesetPayload } } },
  },
});

const remoteEvaluate = defineRoute({
  method: 'post',
  path: '/sdk/v1/evaluate',
  access: { sdk: ['client', 'server'] },
  tags,
  summary: 'Evaluate flags for these attributes on the server (rules stay private)',
  request: { body: jsonBody(RemoteEvaluate) },
  responses: { 200: jsonResponse(RemoteEvaluateResult, 'Value, reason and exposure of each flag') },
});

function sdkKey(c: Context<AppEnv>): ApiKey {
  const principal = c.get('principal');
  if (principal?.type !== 'key' || !principal.key.environmentId)
    throw new AppError('forbidden', 'An SDK key is required');
  return principal.key;
}

/** Which bytes a key gets, or a 403 when a client key may not see the rules. */
function bodyFor(key: ApiKey, built: BuiltRuleset): ServedBody {
  if (key.kind === 'server') return built.plain;
  if (!built.allowClientRuleset) {
    throw new AppError(
      'forbidden',
      'This environment does not let client keys download its rules: use POST /sdk/v1/evaluate, or allow client-side evaluation in the environment',
    );
  }
  return built.encrypted ?? built.plain;
}

const etagMatches = (header: string | undefined, etag: string) =>
  header !== undefined && header.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*');

export function sdkRoutes(app: AppRouter, deps: { cache: RulesetCache; hub: StreamHub }): void {
  app.openapi(ruleset, async (c) => {
    const key = sdkKey(c);
    const served = bodyFor(key, await deps.cache.get(key.environmentId!));
    c.header('ETag', served.etag);
    c.header('Cache-Control', 'no-cache');
    if (etagMatches(c.req.header('if-none-match'), served.etag)) return c.body(null, 304);
    c.header('Content-Type', 'application/json; charset=utf-8');
    return c.body(served.body, 200) as never;
  });

  app.openapi(stream, async (c) => {
    const key = sdkKey(c);
    const first = await deps.cache.get(key.environmentId!);
    const pick = (built: BuiltRuleset) => bodyFor(key, built);
    pick(first); // refuse before the stream starts
    const lastEventId = c.req.header('last-event-id');
    c.header('Cache-Control', 'no-cache');
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (sse) => {
      let end = () => {};
      const ended = new Promise<void>((resolve) => (end = resolve));
      const resumed = Number(lastEventId);
      const client = {
        stream: sse,
        pick,
        end: () => end(),
        revision: Number.isInteger(resumed) ? resumed : undefined,
      };
      const remove = deps.hub.add(key.environmentId!, client);
      sse.onAbort(() => end());
      try {
        // The latest ruleset, unless the client already has this revision (send() checks).
        await deps.hub.send(client, await deps.cache.get(key.environmentId!));
        await ended;
      } finally {
        remove();
      }
    }) as never;
  });

  app.openapi(remoteEvaluate, async (c) => {
    const key = sdkKey(c);
    const { attributes, flags } = c.req.valid('json');
    const built = await deps.cache.get(key.environmentId!);
    const compiled = built.compiled();
    const keys = flags ?? Object.keys(built.payload.features ?? {});
    const results: Record<string, ReturnType<typeof flagResult>> = {};
    for (const flag of keys) results[flag] = flagResult(evaluate(compiled, flag, { attributes }));
    return c.json({ flags: results, dateUpdated: built.payload.dateUpdated ?? '' }, 200);
  });
}
