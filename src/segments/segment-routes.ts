import { z } from '@hono/zod-openapi';
import type { AppRouter } from '../http/app-env.ts';
import { caller } from '../http/caller.ts';
import { defineRoute } from '../http/define-route.ts';
import { jsonBody, jsonResponse } from '../http/schemas.ts';
import {
  CreateSegment,
  Segment,
  SegmentDefinition,
  SegmentKeyParam,
  SegmentQuery,
} from './segment-schemas.ts';
import type { SegmentService } from './segment-service.ts';
import type { Segment as SegmentRow } from './segment-store.ts';

const tags = ['Segments'];

const list = defineRoute({
  method: 'get',
  path: '/api/v1/segments',
  access: { role: 'viewer' },
  tags,
  summary: 'List segments (id lists are counted, not listed)',
  responses: { 200: jsonResponse(z.object({ items: z.array(Segment) }), 'All segments') },
});
const create = defineRoute({
  method: 'post',
  path: '/api/v1/segments',
  access: { role: 'editor' },
  tags,
  summary: 'Create a segment: a saved condition, or a list of ids',
  request: { body: jsonBody(CreateSegment) },
  responses: { 201: jsonResponse(Segment, 'The new segment') },
});
const get = defineRoute({
  method: 'get',
  path: '/api/v1/segments/{key}',
  access: { role: 'viewer' },
  tags,
  summary: 'A segment; `?include=ids` adds its id list',
  request: { params: SegmentKeyParam, query: SegmentQuery },
  responses: { 200: jsonResponse(Segment, 'The segment') },
});
const replace = defineRoute({
  method: 'put',
  path: '/api/v1/segments/{key}',
  access: { role: 'editor' },
  tags,
  summary: "Replace a segment's definition (every ruleset using it is updated)",
  request: { params: SegmentKeyParam, body: jsonBody(SegmentDefinition) },
  responses: { 200: jsonResponse(Segment, 'The segment') },
});
const remove = defineRoute({
  method: 'delete',
  path: '/api/v1/segments/{key}',
  access: { role: 'editor' },
  tags,
  summary: 'Delete a segment; refused (409) while a flag rule uses it',
  request: { params: SegmentKeyParam },
  responses: { 204: { description: 'Deleted' }, 409: { description: 'In use' } },
});

const view = ({ ids, ...segment }: SegmentRow, withIds = false) => ({
  ...segment,
  ...(withIds && ids ? { ids } : {}),
});

export function segmentRoutes(app: AppRouter, segments: SegmentService): void {
  app.openapi(list, async (c) => c.json({ items: await segments.list() }, 200));
  app.openapi(create, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(view(await segments.create(c.req.valid('json'), actor, requestId)), 201);
  });
  app.openapi(get, async (c) =>
    c.json(view(await segments.get(c.req.valid('param').key), c.req.valid('query').include === 'ids'), 200),
  );
  app.openapi(replace, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(
      view(await segments.replace(c.req.valid('param').key, c.req.valid('json'), actor, requestId)),
      200,
    );
  });
  app.openapi(remove, async (c) => {
    const { actor, requestId } = caller(c);
    await segments.delete(c.req.valid('param').key, actor, requestId);
    return c.body(null, 204);
  });
}
