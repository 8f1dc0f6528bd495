// POST /sdk/v1/events: SDKs deliver exposures and track() outcomes in batches. The zod schemas
// describe the body in the OpenAPI document; the handler checks it with the fast validator, per
// event, so that one bad event does not cost the batch (see parse-events.ts).
import type { Context } from 'hono';
import type { ApiKey } from '../auth/api-key-store.ts';
import { AppError } from '../errors.ts';
import type { AppEnv, AppRouter } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { requestHeader } from '../http/node-headers.ts';
import { jsonBody, jsonResponse } from '../http/schemas.ts';
import { EventBatch, EventsAccepted } from './events-schemas.ts';
import type { EventsService } from './events-service.ts';

export const EVENTS_PATH = '/sdk/v1/events';

const ingest = defineRoute({
  method: 'post',
  path: EVENTS_PATH,
  access: { sdk: ['client', 'server'] },
  tags: ['SDK'],
  summary: 'Deliver a batch of exposures and track() events; answers once they are durable',
  description:
    "The environment is the key's. Valid events are stored even when others in the batch are rejected (listed in `rejected`). " +
    'An event resent with the same `id` and `ts` is counted in `duplicates` and stored once, so retries are safe. ' +
    'A 429 (rate limit) or 503 (writer saturated, shutting down) carries Retry-After: retry the same batch then. ' +
    'The key may come as `?key=` (sendBeacon cannot send headers).',
  request: { body: jsonBody(EventBatch) },
  responses: {
    202: jsonResponse(EventsAccepted, 'Stored durably: counts, and the events refused with why'),
    429: { description: 'Rate limit of the key reached (Retry-After)' },
    503: { description: 'Writer saturated or service stopping (Retry-After)' },
  },
});

function sdkKeyOf(c: Context<AppEnv>): ApiKey {
  const principal = c.get('principal');
  if (principal?.type !== 'key' || !principal.key.environmentId) {
    throw new AppError('forbidden', 'Events need an SDK key (client or server)');
  }
  return principal.key;
}

// text/plain too: `navigator.sendBeacon` (used by browsers on page hide) cannot send JSON types
// cross-origin, and it cannot set headers either, so the key then comes as `?key=`.
const jsonType = /^(application\/([a-z-.]+\+)?json|text\/plain)\s*(;|$)/i;

export function eventRoutes(app: AppRouter, events: EventsService): void {
  // Documented from the zod schemas, but not validated by them as a whole: see the file comment.
  // The document gets the route without its middleware: app.openapi() strips it, registerPath not,
  // and a `middleware` key makes the operation invalid OpenAPI.
  const { middleware, ...documented } = ingest;
  app.openAPIRegistry.registerPath(documented);
  app.post(ingest.path, ...middleware, async (c) => {
    const key = sdkKeyOf(c);
    events.admit(key);
    if (!jsonType.test(requestHeader(c, 'content-type') ?? '')) {
      throw new AppError(
        'unsupported_media_type',
        'body: Content-Type must be application/json (or text/plain from sendBeacon)',
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      throw new AppError('malformed_json', 'body: Malformed JSON in request body');
    }
    return c.json(await events.ingest(key, body), 202);
  });
}
