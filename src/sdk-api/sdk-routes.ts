// What SDKs call: the ruleset (ETag/304), its stream (SSE), and remote evaluation for browsers
// that must not see targeting rules.
import { compile, evaluate } from '@flagstaff/sdk/core';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ServerResponse } from 'node:http';
import type { ApiKey } from '../auth/api-key-store.ts';
import { AppError } from '../errors.ts';
import type { AppEnv, AppRouter } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { plainResponse, requestHeader } from '../http/node-headers.ts';
import { bodyFor, RULESET_PATH, rulesetAccess, rulesetAnswer } from './ruleset-answer.ts';
import { jsonBody, jsonResponse } from '../http/schemas.ts';
import { checkAttributeLengths } from './attribute-limits.ts';
import { flagResult } from './flag-result.ts';
import type { BuiltRuleset, RulesetCache } from './ruleset-cache.ts';
import { RemoteEvaluate, RemoteEvaluateResult, RulesetPayload, StreamQuery } from './sdk-schemas.ts';
import type { StreamHub } from './stream-hub.ts';

const tags = ['SDK'];

const ruleset = defineRoute({
  method: 'get',
  path: RULESET_PATH,
  access: rulesetAccess,
  tags,
  summary: "The key's environment ruleset; answers 304 to a matching If-None-Match",
  description:
    'Client keys get it only where the environment allows client-side evaluation (encrypted if it encrypts), with only the flags available to client keys. The key goes in the Authorization header: `?key=` is refused here (401).',
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
  summary:
    'Server-Sent Events: `event: ruleset` with the whole ruleset on connect and on every change (or `event: patch`, see `patches`)',
  description:
    '`id` is the ruleset revision; send it back as Last-Event-ID to skip an unchanged ruleset: the stream then starts with `event: current` (`{"revision": N}`) instead. Comment lines `: ping` are heartbeats. The key may come as `?key=` (EventSource cannot send headers).',
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
  description:
    'Client keys get only the flags available to them (any other reads as not found). A string attribute longer than MAX_ATTRIBUTE_LENGTH (4096 characters by default) is a 400 naming it. The key goes in the Authorization header: `?key=` is refused here (401).',
  request: { body: jsonBody(RemoteEvaluate) },
  responses: { 200: jsonResponse(RemoteEvaluateResult, 'Value, reason and exposure of each flag') },
});

const nothing = compile({ features: {} });
/** What remote evaluation answers for a flag that does not exist (or is not the caller's to see). */
const notFound = (flag: string) => flagResult(evaluate(nothing, flag, { attributes: {} }));

function sdkKey(c: Context<AppEnv>): ApiKey {
  const principal = c.get('principal');
  if (principal?.type !== 'key' || !principal.key.environmentId)
    throw new AppError('forbidden', 'An SDK key is required');
  return principal.key;
}

export function sdkRoutes(
  app: AppRouter,
  deps: { cache: RulesetCache; hub: StreamHub; maxAttributeLength: number },
): void {
  app.openapi(ruleset, async (c) => {
    const key = sdkKey(c);
    const served = bodyFor(key, await deps.cache.get(key.environmentId!));
    const { status, body, headers } = rulesetAnswer(served, requestHeader(c, 'if-none-match'), {});
    return plainResponse(c, body, status, headers) as never;
  });

  app.openapi(stream, async (c) => {
    const key = sdkKey(c);
    const environmentId = key.environmentId!;
    const pick = (built: BuiltRuleset) => bodyFor(key, built);
    pick(await deps.cache.get(environmentId)); // refuse before the stream starts
    const resumed = Number(requestHeader(c, 'last-event-id'));
    const revision = Number.isInteger(resumed) ? resumed : undefined;
    const patches = Number(c.req.valid('query').patches ?? 0);
    const head = {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
    };

    // On a real Node server the events go straight to the socket: one fan-out writes ~60 KiB to
    // every stream, and a web stream per client (TransformStream, reader loop, promises per
    // chunk) made that several times slower than a plain `res.write`.
    const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
    if (outgoing instanceof ServerResponse) {
      // The request pipeline's headers (request id, CORS) are on `outgoing` already; writeHead
      // merges them. The head goes out with the first event (a ruleset, a patch or `current`); a
      // failure before then still reaches the error handler as a normal answer.
      const open = () => {
        if (outgoing.writableEnded || outgoing.destroyed) return false;
        if (!outgoing.headersSent) outgoing.writeHead(200, { ...head, Connection: 'keep-alive' });
        return true;
      };
      let closed = false;
      let remove = () => {};
      outgoing.once('close', () => {
        closed = true;
        remove();
      });
      remove = await deps.hub.connect(environmentId, {
        pick,
        revision,
        patches,
        write: (chunk) => void (open() && outgoing.write(chunk)),
        end: () => void (open() && outgoing.end()),
        buffered: () => outgoing.writableLength,
        drop: () => outgoing.destroy(),
      });
      if (closed) remove();
      else if (!outgoing.headersSent && open()) outgoing.flushHeaders();
      // Nothing before this route touched c.res, so Hono keeps this object as it is, the one
      // @hono/node-server recognises (a copy would make it write a second head onto the stream).
      return RESPONSE_ALREADY_SENT as never;
    }

    // In-process (`app.request`, tests): Hono's web stream, fed by the same hub.
    for (const [name, value] of Object.entries(head)) c.header(name, value);
    return streamSSE(c, async (sse) => {
      let end = () => {};
      const ended = new Promise<void>((resolve) => (end = resolve));
      sse.onAbort(() => end());
      const remove = await deps.hub.connect(environmentId, {
        pick,
        revision,
        patches,
        write: (chunk) => void sse.write(chunk).catch(() => undefined),
        end: () => end(),
      });
      try {
        await ended;
      } finally {
        remove();
      }
    }) as never;
  });

  app.openapi(remoteEvaluate, async (c) => {
    const key = sdkKey(c);
    const { attributes, flags } = c.req.valid('json');
    checkAttributeLengths(attributes, deps.maxAttributeLength);
    const built = await deps.cache.get(key.environmentId!);
    // Every flag is evaluated as a server SDK would (a prerequisite may be a flag client keys do not
    // get), but client keys hear only of flags available to them: any other is not found.
    const compiled = built.compiled();
    const visible = key.kind === 'client' ? built.clientFlags : undefined;
    const keys = flags ?? (visible ? [...visible] : Object.keys(built.payload.features ?? {}));
    const results: Record<string, ReturnType<typeof flagResult>> = {};
    for (const flag of keys) {
      results[flag] =
        !visible || visible.has(flag) ? flagResult(evaluate(compiled, flag, { attributes })) : notFound(flag);
    }
    return c.json({ flags: results, dateUpdated: built.payload.dateUpdated ?? '' }, 200);
  });
}
