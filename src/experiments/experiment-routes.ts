import { z } from '@hono/zod-openapi';
import type { AppRouter } from '../http/app-env.ts';
import { caller } from '../http/caller.ts';
import { defineRoute } from '../http/define-route.ts';
import { jsonBody, jsonResponse } from '../http/schemas.ts';
import {
  CreateExperiment,
  Experiment,
  ExperimentKeyParam,
  ExperimentWithWarnings,
  ShipExperiment,
  UpdateExperiment,
} from './experiment-schemas.ts';
import type { ExperimentService } from './experiment-service.ts';

const tags = ['Experiments'];
const viewer = { role: 'viewer' } as const;
const editor = { role: 'editor' } as const;
const params = ExperimentKeyParam;
const wrongStatus = { 409: { description: 'Not allowed in the current status (named in the message)' } };

const list = defineRoute({
  method: 'get',
  path: '/api/v1/experiments',
  access: viewer,
  tags,
  summary: 'List experiments',
  responses: { 200: jsonResponse(z.object({ items: z.array(Experiment) }), 'All experiments, by key') },
});
const create = defineRoute({
  method: 'post',
  path: '/api/v1/experiments',
  access: editor,
  tags,
  summary: 'Create an experiment (a draft: nothing is served until it starts)',
  request: { body: jsonBody(CreateExperiment) },
  responses: {
    201: jsonResponse(Experiment, 'The new experiment'),
    409: { description: 'Key already used' },
  },
});
const get = defineRoute({
  method: 'get',
  path: '/api/v1/experiments/{key}',
  access: viewer,
  tags,
  summary: 'An experiment with its phases',
  request: { params },
  responses: { 200: jsonResponse(Experiment, 'The experiment'), 404: { description: 'No such experiment' } },
});
const update = defineRoute({
  method: 'patch',
  path: '/api/v1/experiments/{key}',
  access: editor,
  tags,
  summary: 'Change an experiment; new weights or coverage while running start a new phase',
  description:
    'Name, hypothesis, metrics and settings change anytime. Variations, flag, environment and hash attribute ' +
    'only in draft, except that a running experiment may change its weights and coverage: that starts a new ' +
    'phase (reported in `warnings`, since users may be re-bucketed).',
  request: { params, body: jsonBody(UpdateExperiment) },
  responses: { 200: jsonResponse(ExperimentWithWarnings, 'The experiment'), ...wrongStatus },
});
const remove = defineRoute({
  method: 'delete',
  path: '/api/v1/experiments/{key}',
  access: editor,
  tags,
  summary: 'Delete a draft experiment (started ones are abandoned instead)',
  request: { params },
  responses: { 204: { description: 'Deleted' }, ...wrongStatus },
});
const start = defineRoute({
  method: 'post',
  path: '/api/v1/experiments/{key}/start',
  access: editor,
  tags,
  summary: "Start a draft: appends its rule to the flag's environment config (turning the flag on)",
  request: { params },
  responses: {
    200: jsonResponse(
      Experiment.extend({
        flagEnabled: z.boolean().openapi({ description: 'Whether starting turned the flag on' }),
      }),
      'The running experiment',
    ),
    ...wrongStatus,
  },
});
const stop = defineRoute({
  method: 'post',
  path: '/api/v1/experiments/{key}/stop',
  access: editor,
  tags,
  summary: 'Stop a running experiment: its rule leaves the flag config',
  request: { params },
  responses: { 200: jsonResponse(Experiment, 'The stopped experiment'), ...wrongStatus },
});
const ship = defineRoute({
  method: 'post',
  path: '/api/v1/experiments/{key}/ship',
  access: editor,
  tags,
  summary: "Ship a variation: it becomes the flag's value in the experiment's environment",
  description:
    "Replaces the experiment rule with a `force` rule (`ship_<key>`) at the top of the environment's rules; " +
    "the flag's default value and other environments are left alone.",
  request: { params, body: jsonBody(ShipExperiment) },
  responses: { 200: jsonResponse(Experiment, 'The shipped experiment'), ...wrongStatus },
});
const abandon = defineRoute({
  method: 'post',
  path: '/api/v1/experiments/{key}/abandon',
  access: editor,
  tags,
  summary: 'Abandon an experiment (its rule, if running, leaves the flag config)',
  request: { params },
  responses: { 200: jsonResponse(Experiment, 'The abandoned experiment'), ...wrongStatus },
});

export function experimentRoutes(app: AppRouter, experiments: ExperimentService): void {
  app.openapi(list, async (c) => c.json({ items: await experiments.list() }, 200));
  app.openapi(create, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await experiments.create(c.req.valid('json'), actor, requestId), 201);
  });
  app.openapi(get, async (c) => c.json(await experiments.get(c.req.valid('param').key), 200));
  app.openapi(update, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(
      await experiments.update(c.req.valid('param').key, c.req.valid('json'), actor, requestId),
      200,
    );
  });
  app.openapi(remove, async (c) => {
    const { actor, requestId } = caller(c);
    await experiments.delete(c.req.valid('param').key, actor, requestId);
    return c.body(null, 204);
  });
  app.openapi(start, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await experiments.start(c.req.valid('param').key, actor, requestId), 200);
  });
  app.openapi(stop, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await experiments.stop(c.req.valid('param').key, actor, requestId), 200);
  });
  app.openapi(ship, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(
      await experiments.ship(c.req.valid('param').key, c.req.valid('json'), actor, requestId),
      200,
    );
  });
  app.openapi(abandon, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await experiments.abandon(c.req.valid('param').key, actor, requestId), 200);
  });
}
