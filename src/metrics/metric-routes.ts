import { z } from '@hono/zod-openapi';
import type { AppRouter } from '../http/app-env.ts';
import { caller } from '../http/caller.ts';
import { defineRoute } from '../http/define-route.ts';
import { jsonBody, jsonResponse } from '../http/schemas.ts';
import { CreateMetric, Metric, MetricKeyParam, UpdateMetric } from './metric-schemas.ts';
import type { MetricService } from './metric-service.ts';

const tags = ['Metrics'];
const viewer = { role: 'viewer' } as const;
const editor = { role: 'editor' } as const;

const list = defineRoute({
  method: 'get',
  path: '/api/v1/metrics',
  access: viewer,
  tags,
  summary: 'List metrics',
  responses: { 200: jsonResponse(z.object({ items: z.array(Metric) }), 'All metrics, by key') },
});
const create = defineRoute({
  method: 'post',
  path: '/api/v1/metrics',
  access: editor,
  tags,
  summary: 'Create a metric',
  request: { body: jsonBody(CreateMetric) },
  responses: { 201: jsonResponse(Metric, 'The new metric'), 409: { description: 'Key already used' } },
});
const get = defineRoute({
  method: 'get',
  path: '/api/v1/metrics/{key}',
  access: viewer,
  tags,
  summary: 'A metric',
  request: { params: MetricKeyParam },
  responses: { 200: jsonResponse(Metric, 'The metric'), 404: { description: 'No such metric' } },
});
const update = defineRoute({
  method: 'patch',
  path: '/api/v1/metrics/{key}',
  access: editor,
  tags,
  summary: "Change a metric's definition (experiments using it are analysed with the new one)",
  request: { params: MetricKeyParam, body: jsonBody(UpdateMetric) },
  responses: { 200: jsonResponse(Metric, 'The metric') },
});
const remove = defineRoute({
  method: 'delete',
  path: '/api/v1/metrics/{key}',
  access: editor,
  tags,
  summary: 'Delete a metric; refused (409) while an experiment uses it',
  request: { params: MetricKeyParam },
  responses: { 204: { description: 'Deleted' }, 409: { description: 'Used by an experiment' } },
});

export function metricRoutes(app: AppRouter, metrics: MetricService): void {
  app.openapi(list, async (c) => c.json({ items: await metrics.list() }, 200));
  app.openapi(create, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await metrics.create(c.req.valid('json'), actor, requestId), 201);
  });
  app.openapi(get, async (c) => c.json(await metrics.get(c.req.valid('param').key), 200));
  app.openapi(update, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await metrics.update(c.req.valid('param').key, c.req.valid('json'), actor, requestId), 200);
  });
  app.openapi(remove, async (c) => {
    const { actor, requestId } = caller(c);
    await metrics.delete(c.req.valid('param').key, actor, requestId);
    return c.body(null, 204);
  });
}
