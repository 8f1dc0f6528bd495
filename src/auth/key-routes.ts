import { z } from '@hono/zod-openapi';
import type { AppRouter } from '../http/app-env.ts';
import { caller } from '../http/caller.ts';
import { defineRoute } from '../http/define-route.ts';
import { IdParam, jsonBody, jsonResponse } from '../http/schemas.ts';
import type { ApiKeyService } from './api-key-service.ts';
import { ApiKey, CreateApiKey, CreatedApiKey } from './auth-schemas.ts';

const tags = ['API keys'];

const list = defineRoute({
  method: 'get',
  path: '/api/v1/keys',
  access: { role: 'admin' },
  tags,
  summary: 'List API keys (never their secrets)',
  responses: { 200: jsonResponse(z.object({ items: z.array(ApiKey) }), 'All keys, newest first') },
});

const create = defineRoute({
  method: 'post',
  path: '/api/v1/keys',
  access: { role: 'admin' },
  tags,
  summary: 'Create an API key; the secret is in `key`, shown this once',
  request: { body: jsonBody(CreateApiKey) },
  responses: { 201: jsonResponse(CreatedApiKey, 'The key with its secret') },
});

const revoke = defineRoute({
  method: 'delete',
  path: '/api/v1/keys/{id}',
  access: { role: 'admin' },
  tags,
  summary: 'Revoke an API key (it stops working at once)',
  request: { params: IdParam('id', 'key') },
  responses: { 200: jsonResponse(ApiKey, 'The revoked key'), 404: { description: 'No such key' } },
});

export function keyRoutes(app: AppRouter, keys: ApiKeyService): void {
  app.openapi(list, async (c) => c.json({ items: await keys.list() }, 200));
  app.openapi(create, async (c) => {
    const { actor, requestId } = caller(c);
    const { apiKey, secret } = await keys.create(c.req.valid('json'), actor, requestId);
    return c.json({ ...apiKey, key: secret }, 201);
  });
  app.openapi(revoke, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await keys.revoke(c.req.valid('param').id, actor, requestId), 200);
  });
}
