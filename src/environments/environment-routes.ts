import { z } from '@hono/zod-openapi';
import type { AppRouter } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { caller } from '../http/caller.ts';
import { jsonBody, jsonResponse } from '../http/schemas.ts';
import type { EnvironmentService } from './environment-service.ts';
import {
  CreateEnvironment,
  Environment,
  EnvironmentKeyParam,
  UpdateEnvironment,
} from './environment-schemas.ts';

const tags = ['Environments'];

const list = defineRoute({
  method: 'get',
  path: '/api/v1/environments',
  access: { role: 'viewer' },
  tags,
  summary: 'List environments',
  responses: { 200: jsonResponse(z.object({ items: z.array(Environment) }), 'All environments') },
});

const create = defineRoute({
  method: 'post',
  path: '/api/v1/environments',
  access: { role: 'admin' },
  tags,
  summary: 'Create an environment',
  request: { body: jsonBody(CreateEnvironment) },
  responses: {
    201: jsonResponse(Environment, 'The new environment'),
    409: { description: 'Key already used' },
  },
});

const update = defineRoute({
  method: 'patch',
  path: '/api/v1/environments/{key}',
  access: { role: 'admin' },
  tags,
  summary:
    'Rename an environment, or change how it serves SDKs (client rulesets, flags available to client keys by default, encryption)',
  request: { params: EnvironmentKeyParam, body: jsonBody(UpdateEnvironment) },
  responses: {
    200: jsonResponse(Environment, 'The renamed environment'),
    404: { description: 'No such environment' },
  },
});

export function environmentRoutes(app: AppRouter, environments: EnvironmentService): void {
  app.openapi(list, async (c) => c.json({ items: await environments.list() }, 200));
  app.openapi(create, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await environments.create(c.req.valid('json'), actor, requestId), 201);
  });
  app.openapi(update, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(
      await environments.update(c.req.valid('param').key, c.req.valid('json'), actor, requestId),
      200,
    );
  });
}
