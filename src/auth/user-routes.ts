import { z } from '@hono/zod-openapi';
import type { AppRouter } from '../http/app-env.ts';
import { caller } from '../http/caller.ts';
import { defineRoute } from '../http/define-route.ts';
import { IdParam, jsonBody, jsonResponse } from '../http/schemas.ts';
import { CreateUser, UpdateUser, User } from './auth-schemas.ts';
import type { UserService } from './user-service.ts';

const tags = ['Users'];

const list = defineRoute({
  method: 'get',
  path: '/api/v1/users',
  access: { role: 'admin' },
  tags,
  summary: 'List dashboard users',
  responses: { 200: jsonResponse(z.object({ items: z.array(User) }), 'All users') },
});

const create = defineRoute({
  method: 'post',
  path: '/api/v1/users',
  access: { role: 'admin' },
  tags,
  summary: 'Create a dashboard user',
  request: { body: jsonBody(CreateUser) },
  responses: { 201: jsonResponse(User, 'The new user'), 409: { description: 'Email already used' } },
});

const update = defineRoute({
  method: 'patch',
  path: '/api/v1/users/{id}',
  access: { role: 'admin' },
  tags,
  summary: "Change a user's name, role or password, or disable the account",
  request: { params: IdParam('id', 'usr'), body: jsonBody(UpdateUser) },
  responses: { 200: jsonResponse(User, 'The updated user'), 404: { description: 'No such user' } },
});

export function userRoutes(app: AppRouter, users: UserService): void {
  app.openapi(list, async (c) => c.json({ items: await users.list() }, 200));
  app.openapi(create, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await users.create(c.req.valid('json'), actor, requestId), 201);
  });
  app.openapi(update, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await users.update(c.req.valid('param').id, c.req.valid('json'), actor, requestId), 200);
  });
}
