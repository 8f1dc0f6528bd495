// createApp(deps): middleware, the error handler and every route. No globals: each app has its
// own services and metrics registry, so tests run many apps side by side on fresh databases.
import { OpenAPIHono } from '@hono/zod-openapi';
import { createRequire } from 'node:module';
import { analysisRoutes } from './analysis/analysis-routes.ts';
import { auditRoutes } from './audit/audit-routes.ts';
import { authenticate } from './auth/authenticate.ts';
import { keyRoutes } from './auth/key-routes.ts';
import { sessionRoutes } from './auth/session-routes.ts';
import { userRoutes } from './auth/user-routes.ts';
import { environmentRoutes } from './environments/environment-routes.ts';
import { registerEventMetrics } from './events/event-metrics.ts';
import { EVENTS_PATH, eventRoutes } from './events/events-routes.ts';
import { analyzeRoutes } from './experiments/analyze-routes.ts';
import { experimentRoutes } from './experiments/experiment-routes.ts';
import { flagRoutes } from './flags/flag-routes.ts';
import { metricRoutes } from './metrics/metric-routes.ts';
import { withRulesetFastLane } from './sdk-api/ruleset-fast-lane.ts';
import { sdkRoutes } from './sdk-api/sdk-routes.ts';
import { registerStreamMetrics } from './sdk-api/stream-metrics.ts';
import { segmentRoutes } from './segments/segment-routes.ts';
import type { AppEnv } from './http/app-env.ts';
import { bodyLimits } from './http/body-limits.ts';
import { errorBody, errorHandler, validationHook } from './http/error-handler.ts';
import { jsonDepthGuard } from './http/json-depth-guard.ts';
import { createHttpMetrics } from './http/metrics.ts';
import { requestPipeline } from './http/request-pipeline.ts';
import { sdkCors } from './http/sdk-cors.ts';
import { systemRoutes } from './http/system-routes.ts';
import type { Logger } from './logger.ts';
import { BODY_DEPTH_MARGIN } from './json-limits.ts';
import { docsRoutes } from './openapi/docs-routes.ts';
import { createServices, type ServiceDeps, type Services } from './services.ts';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export interface AppDeps extends ServiceDeps {
  /** Services built beforehand (to seed them, or to share them with a test); built here if absent. */
  services?: Services;
  logger?: Logger;
  /** Add Node process metrics (memory, event loop lag) to /metrics; off in tests. */
  processMetrics?: boolean;
}

export function createApp(deps: AppDeps) {
  const services: Services = deps.services ?? createServices(deps);
  const logger = services.logger;
  const metrics = createHttpMetrics({ processMetrics: deps.processMetrics ?? false });
  registerEventMetrics(metrics.registry, services.eventWriter);
  registerStreamMetrics(metrics.registry, services.streams);
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  const pipeline = requestPipeline({
    metrics,
    logger,
    // SDK keys are bearer tokens, never cookies, so any origin may call the SDK routes.
    cors: {
      prefix: '/sdk/',
      ...sdkCors({
        allowHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'Last-Event-ID'],
        exposeHeaders: ['ETag', 'Retry-After', 'X-Request-Id'],
        maxAge: 86400,
      }),
    },
    bodyLimits: bodyLimits(
      [
        { prefix: '/api/v1/segments', maxSize: services.config.MAX_SEGMENT_BODY_BYTES },
        { prefix: EVENTS_PATH, maxSize: services.config.EVENTS_MAX_BODY_BYTES },
      ],
      services.config.MAX_BODY_BYTES,
    ),
  });
  app.use(pipeline.middleware);
  app.use(
    authenticate({
      keyCache: services.keyCache,
      keys: services.stores.keys,
      users: services.stores.users,
      clock: services.clock,
    }),
  );
  // Event batches check nesting per event, so that one deep event does not cost the batch.
  app.use(jsonDepthGuard(services.config.MAX_JSON_DEPTH + BODY_DEPTH_MARGIN, [EVENTS_PATH]));
  app.onError(errorHandler(logger));
  app.notFound((c) => c.json(errorBody(c, 'not_found', `No route for ${c.req.method} ${c.req.path}`), 404));

  systemRoutes(app, {
    db: services.db,
    registry: metrics.registry,
    metricsAccess: { public: services.config.METRICS_PUBLIC, token: services.config.METRICS_TOKEN },
  });
  sessionRoutes(app, services.sessions, {
    cookieSecure: services.config.COOKIE_SECURE,
    trustedProxies: services.config.TRUSTED_PROXIES,
  });
  environmentRoutes(app, services.environments);
  keyRoutes(app, services.keys);
  userRoutes(app, services.users);
  auditRoutes(app, services.stores.audit);
  flagRoutes(app, {
    flags: services.flags,
    environments: services.environments,
    cache: services.rulesets,
    segments: services.stores.segments,
    maxAttributeLength: services.config.MAX_ATTRIBUTE_LENGTH,
  });
  segmentRoutes(app, services.segments);
  metricRoutes(app, services.metrics);
  experimentRoutes(app, services.experiments);
  analysisRoutes(app, services.analysis);
  analyzeRoutes(app);
  sdkRoutes(app, {
    cache: services.rulesets,
    hub: services.streams,
    maxAttributeLength: services.config.MAX_ATTRIBUTE_LENGTH,
  });
  eventRoutes(app, services.events);
  docsRoutes(app, version);
  services.analysisScheduler.start();
  app.fetch = withRulesetFastLane(app.fetch, {
    keyCache: services.keyCache,
    rulesets: services.rulesets,
    pipeline,
    clock: services.clock,
  });
  return app;
}

export type AppType = ReturnType<typeof createApp>;
