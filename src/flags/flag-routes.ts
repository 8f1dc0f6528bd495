import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv, AppRouter } from '../http/app-env.ts';
import { caller } from '../http/caller.ts';
import { defineRoute } from '../http/define-route.ts';
import { jsonBody, jsonResponse } from '../http/schemas.ts';
import { checkAttributeLengths } from '../sdk-api/attribute-limits.ts';
import type { RulesetCache } from '../sdk-api/ruleset-cache.ts';
import type { SegmentStore } from '../segments/segment-store.ts';
import type { EnvironmentService } from '../environments/environment-service.ts';
import { runPlayground } from './flag-playground.ts';
import {
  CreateFlag,
  EvaluateFlag,
  Flag,
  FlagEnvironmentConfig,
  FlagEnvParams,
  FlagKeyParam,
  FlagPage,
  IfMatchHeader,
  ListFlagsQuery,
  PatchFlagConfig,
  PutFlagConfig,
  UpdateFlag,
} from './flag-schemas.ts';
import type { FlagConfig, FlagService } from './flag-service.ts';

const tags = ['Flags'];
const editor = { role: 'editor' } as const;
const viewer = { role: 'viewer' } as const;

const list = defineRoute({
  method: 'get',
  path: '/api/v1/flags',
  access: viewer,
  tags,
  summary: 'List flags (search, tag, archived filters; pages by key)',
  request: { query: ListFlagsQuery },
  responses: { 200: jsonResponse(FlagPage, 'One page of flags') },
});
const create = defineRoute({
  method: 'post',
  path: '/api/v1/flags',
  access: editor,
  tags,
  summary: 'Create a flag (off in every environment until configured)',
  request: { body: jsonBody(CreateFlag) },
  responses: { 201: jsonResponse(Flag, 'The new flag'), 409: { description: 'Key already used' } },
});
const get = defineRoute({
  method: 'get',
  path: '/api/v1/flags/{key}',
  access: viewer,
  tags,
  summary: 'A flag with its configuration in every environment',
  request: { params: FlagKeyParam },
  responses: { 200: jsonResponse(Flag, 'The flag'), 404: { description: 'No such flag' } },
});
const update = defineRoute({
  method: 'patch',
  path: '/api/v1/flags/{key}',
  access: editor,
  tags,
  summary: "Change a flag's description, default value, tags, owner or availability to client keys",
  request: { params: FlagKeyParam, body: jsonBody(UpdateFlag) },
  responses: { 200: jsonResponse(Flag, 'The flag') },
});
const archive = defineRoute({
  method: 'post',
  path: '/api/v1/flags/{key}/archive',
  access: editor,
  tags,
  summary: 'Archive a flag: it leaves every ruleset',
  request: { params: FlagKeyParam },
  responses: { 200: jsonResponse(Flag, 'The archived flag') },
});
const unarchive = defineRoute({
  method: 'post',
  path: '/api/v1/flags/{key}/unarchive',
  access: editor,
  tags,
  summary: 'Bring an archived flag back',
  request: { params: FlagKeyParam },
  responses: { 200: jsonResponse(Flag, 'The flag') },
});
const remove = defineRoute({
  method: 'delete',
  path: '/api/v1/flags/{key}',
  access: editor,
  tags,
  summary: 'Delete a flag; refused (409) while an experiment, ramp or other flag refers to it',
  request: { params: FlagKeyParam },
  responses: {
    204: { description: 'Deleted' },
    409: { description: 'Still referenced; archive it instead' },
  },
});
const getConfig = defineRoute({
  method: 'get',
  path: '/api/v1/flags/{key}/environments/{environment}',
  access: viewer,
  tags,
  summary: "A flag's configuration in one environment (with its version for If-Match)",
  request: { params: FlagEnvParams },
  responses: { 200: jsonResponse(FlagEnvironmentConfig, 'The configuration') },
});
const putConfig = defineRoute({
  method: 'put',
  path: '/api/v1/flags/{key}/environments/{environment}',
  access: editor,
  tags,
  summary: "Replace a flag's on/off state and rules in one environment",
  description:
    'Send the version you read as If-Match (or body.version); a stale version gets 409 with the current one.',
  request: { params: FlagEnvParams, headers: IfMatchHeader, body: jsonBody(PutFlagConfig) },
  responses: {
    200: jsonResponse(FlagEnvironmentConfig, 'The new configuration'),
    409: { description: 'Stale version' },
    428: { description: 'Version missing' },
  },
});
const patchConfig = defineRoute({
  method: 'patch',
  path: '/api/v1/flags/{key}/environments/{environment}',
  access: editor,
  tags,
  summary: 'Kill switch (enabled), rule order, single rules on/off',
  request: { params: FlagEnvParams, headers: IfMatchHeader, body: jsonBody(PatchFlagConfig) },
  responses: {
    200: jsonResponse(FlagEnvironmentConfig, 'The new configuration'),
    409: { description: 'Stale version' },
    428: { description: 'Version missing (rule order or rules on/off; `enabled` alone needs none)' },
  },
});
const playground = defineRoute({
  method: 'post',
  path: '/api/v1/flags/{key}/evaluate',
  access: viewer,
  tags,
  summary: 'Evaluation playground: value, reason, matched rule and a trace of every rule',
  request: { params: FlagKeyParam, body: jsonBody(EvaluateFlag) },
  responses: {
    200: jsonResponse(
      z.object({
        value: z.unknown(),
        on: z.boolean(),
        reason: z.string(),
        ruleId: z.string().optional(),
        variationKey: z.string().optional(),
        environment: z.string(),
        trace: z.array(z.object({ ruleId: z.string(), type: z.string(), outcome: z.string() })),
      }),
      'The evaluation',
    ),
  },
});

const versionOf = (ifMatch: string | undefined) =>
  ifMatch === undefined ? undefined : Number(ifMatch.replace(/\D/g, ''));

export function flagRoutes(
  app: AppRouter,
  deps: {
    flags: FlagService;
    environments: EnvironmentService;
    cache: RulesetCache;
    segments: SegmentStore;
    /** Longest string attribute the playground evaluates (MAX_ATTRIBUTE_LENGTH). */
    maxAttributeLength: number;
  },
): void {
  const { flags } = deps;
  app.openapi(list, async (c) => {
    const { cursor, ...filter } = c.req.valid('query');
    const page = await flags.list({ ...filter, afterKey: cursor, limit: filter.limit + 1 });
    const items = page.slice(0, filter.limit);
    return c.json(
      { items, nextCursor: page.length > filter.limit ? items[items.length - 1]!.key : null },
      200,
    );
  });
  app.openapi(create, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await flags.create(c.req.valid('json'), actor, requestId), 201);
  });
  app.openapi(get, async (c) => c.json(await flags.get(c.req.valid('param').key), 200));
  app.openapi(update, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await flags.update(c.req.valid('param').key, c.req.valid('json'), actor, requestId), 200);
  });
  app.openapi(archive, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await flags.setArchived(c.req.valid('param').key, true, actor, requestId), 200);
  });
  app.openapi(unarchive, async (c) => {
    const { actor, requestId } = caller(c);
    return c.json(await flags.setArchived(c.req.valid('param').key, false, actor, requestId), 200);
  });
  app.openapi(remove, async (c) => {
    const { actor, requestId } = caller(c);
    await flags.delete(c.req.valid('param').key, actor, requestId);
    return c.body(null, 204);
  });
  // Every answer carrying a config also carries its version as the ETag, for the next If-Match.
  const tagged = async (c: Context<AppEnv>, pending: Promise<FlagConfig>) => {
    const config = await pending;
    c.header('ETag', `"${config.version}"`);
    return config;
  };
  app.openapi(getConfig, async (c) => {
    const { key, environment } = c.req.valid('param');
    return c.json(await tagged(c, flags.getConfig(key, environment)), 200);
  });
  app.openapi(putConfig, async (c) => {
    const { actor, requestId } = caller(c);
    const { key, environment } = c.req.valid('param');
    const ifMatch = versionOf(c.req.valid('header')['if-match']);
    const change = flags.putConfig(key, environment, c.req.valid('json'), ifMatch, actor, requestId);
    return c.json(await tagged(c, change), 200);
  });
  app.openapi(patchConfig, async (c) => {
    const { actor, requestId } = caller(c);
    const { key, environment } = c.req.valid('param');
    const ifMatch = versionOf(c.req.valid('header')['if-match']);
    const change = flags.patchConfig(key, environment, c.req.valid('json'), ifMatch, actor, requestId);
    return c.json(await tagged(c, change), 200);
  });
  app.openapi(playground, async (c) => {
    const { key } = c.req.valid('param');
    const { environment, attributes } = c.req.valid('json');
    checkAttributeLengths(attributes, deps.maxAttributeLength);
    const [flag, config, env] = await Promise.all([
      flags.get(key, false),
      flags.getConfig(key, environment),
      deps.environments.get(environment),
    ]);
    const [built, segments] = await Promise.all([deps.cache.get(env.id), deps.segments.all()]);
    return c.json(runPlayground(flag, config, built, segments, attributes, deps.cache.regex), 200);
  });
}
