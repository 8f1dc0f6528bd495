// Wires stores into services. One place builds them, so createApp and the start-up seeding share
// the same construction and tests get everything on a fresh database with one call.
import { AnalysisScheduler } from './analysis/analysis-scheduler.ts';
import { AnalysisService } from './analysis/analysis-service.ts';
import { sqliteSnapshotStore } from './analysis/snapshot-store.ts';
import { AuditLog } from './audit/audit-log.ts';
import { sqliteAuditStore, type AuditStore } from './audit/audit-store.ts';
import { ApiKeyService } from './auth/api-key-service.ts';
import { KeyCache } from './auth/key-cache.ts';
import { sqliteApiKeyStore, type ApiKeyStore } from './auth/api-key-store.ts';
import { LoginRateLimiter } from './auth/login-rate-limiter.ts';
import { SessionService } from './auth/session-service.ts';
import { UserService } from './auth/user-service.ts';
import { sqliteUserStore, type UserStore } from './auth/user-store.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Db } from './db/open-db.ts';
import { EnvironmentService } from './environments/environment-service.ts';
import { sqliteEnvironmentStore, type EnvironmentStore } from './environments/environment-store.ts';
import { parseEnv, type Env } from './env.ts';
import type { EventWriter } from './events/event-writer.ts';
import { createEventWriter, EventsService } from './events/events-service.ts';
import { KeyRateLimiter } from './events/key-rate-limiter.ts';
import { ExperimentService } from './experiments/experiment-service.ts';
import { sqliteExperimentStore, type ExperimentStore } from './experiments/experiment-store.ts';
import { FlagService } from './flags/flag-service.ts';
import { sqliteFlagStore, type FlagStore } from './flags/flag-store.ts';
import type { JsonLimits } from './json-limits.ts';
import { Lifecycle } from './lifecycle.ts';
import { createLogger, type Logger } from './logger.ts';
import { MetricService } from './metrics/metric-service.ts';
import { sqliteMetricStore, type MetricStore } from './metrics/metric-store.ts';
import { linearRegex } from './sdk-api/linear-regex.ts';
import { RulesetCache } from './sdk-api/ruleset-cache.ts';
import { RulesetChanges } from './sdk-api/ruleset-changes.ts';
import { StreamHub } from './sdk-api/stream-hub.ts';
import { SegmentService } from './segments/segment-service.ts';
import { sqliteSegmentStore, type SegmentStore } from './segments/segment-store.ts';

export interface Stores {
  environments: EnvironmentStore;
  keys: ApiKeyStore;
  users: UserStore;
  audit: AuditStore;
  flags: FlagStore;
  segments: SegmentStore;
  metrics: MetricStore;
  experiments: ExperimentStore;
}

export interface Services {
  db: Db;
  clock: Clock;
  config: Env;
  stores: Stores;
  audit: AuditLog;
  environments: EnvironmentService;
  keys: ApiKeyService;
  users: UserService;
  sessions: SessionService;
  keyCache: KeyCache;
  flags: FlagService;
  segments: SegmentService;
  metrics: MetricService;
  experiments: ExperimentService;
  changes: RulesetChanges;
  rulesets: RulesetCache;
  streams: StreamHub;
  lifecycle: Lifecycle;
  logger: Logger;
  events: EventsService;
  eventWriter: EventWriter;
  analysis: AnalysisService;
  /** Refreshes running experiments' results; createApp starts it. */
  analysisScheduler: AnalysisScheduler;
}

export interface ServiceDeps {
  db: Db;
  clock?: Clock;
  /** Settings; anything left out takes its default (as with an empty environment). */
  config?: Partial<Env>;
  logger?: Logger;
  /** Receives the close hooks (open streams, pending writes); index.ts runs it on shutdown. */
  lifecycle?: Lifecycle;
  /** The group-commit event writer; built here unless given (tests pass one to watch or close it). */
  eventWriter?: EventWriter;
}

export function createServices({
  db,
  clock = systemClock,
  config: overrides = {},
  logger = createLogger('silent'),
  lifecycle = new Lifecycle(),
  eventWriter,
}: ServiceDeps): Services {
  const config = { ...parseEnv({}), ...overrides };
  const stores: Stores = {
    environments: sqliteEnvironmentStore(db),
    keys: sqliteApiKeyStore(db),
    users: sqliteUserStore(db),
    audit: sqliteAuditStore(db),
    flags: sqliteFlagStore(db),
    segments: sqliteSegmentStore(db),
    metrics: sqliteMetricStore(db),
    experiments: sqliteExperimentStore(db),
  };
  const audit = new AuditLog(stores.audit, clock);
  const base = { db, audit, clock };
  const keyCache = new KeyCache(stores.keys, clock);
  const changes = new RulesetChanges();
  // Conditions run against attributes anyone with a client key sends: regexes in linear time.
  const regex = linearRegex(config.MAX_ATTRIBUTE_LENGTH);
  const rulesets = new RulesetCache({ ...stores, changes, logger, regex });
  const streams = new StreamHub({
    cache: rulesets,
    changes,
    logger,
    heartbeatMs: config.SSE_HEARTBEAT_SECONDS * 1000,
    maxBufferedBytes: config.SSE_MAX_BUFFERED_BYTES,
  });
  lifecycle.onStopping(() => streams.closeAll());
  // After the last request: commit what is still queued, then the database may close.
  const writer = eventWriter ?? createEventWriter(db, config, logger);
  lifecycle.onClose(() => writer.close());
  // Flag values and conditions: how deep and how large each may be (events have their own).
  const limits: JsonLimits = { maxDepth: config.MAX_JSON_DEPTH, maxBytes: config.MAX_JSON_VALUE_BYTES };
  const domain = {
    ...base,
    limits,
    flags: stores.flags,
    segments: stores.segments,
    environments: stores.environments,
    changes,
  };
  const flags = new FlagService(domain);
  const experiments = new ExperimentService({
    ...base,
    experiments: stores.experiments,
    metrics: stores.metrics,
    flags: stores.flags,
    flagService: flags,
    environments: stores.environments,
    limits,
  });
  flags.addReferenceCheck(experiments.flagReferences);
  const analysis = new AnalysisService({
    db,
    clock,
    experiments,
    snapshots: sqliteSnapshotStore(db),
    // The kept state holds pre-exposure events only as far back as ingestion still accepts exposures.
    options: { eventsMaxAgeDays: config.EVENTS_MAX_AGE_DAYS },
    refreshMinAgeSeconds: config.ANALYSIS_REFRESH_MIN_AGE_SECONDS,
  });
  const analysisScheduler = new AnalysisScheduler({
    analysis,
    runningExperiments: async () =>
      (await stores.experiments.list()).filter((e) => e.status === 'running').map((e) => e.key),
    intervalMinutes: config.ANALYSIS_REFRESH_MINUTES,
    logger,
  });
  lifecycle.onStopping(() => analysisScheduler.stop());
  return {
    db,
    clock,
    config,
    stores,
    audit,
    environments: new EnvironmentService({ ...base, environments: stores.environments, changes }),
    keys: new ApiKeyService({ ...base, keys: stores.keys, environments: stores.environments, keyCache }),
    users: new UserService({ ...base, users: stores.users }),
    sessions: new SessionService({
      ...base,
      users: stores.users,
      limiter: new LoginRateLimiter(config.LOGIN_MAX_ATTEMPTS, clock),
      ttlSeconds: config.SESSION_TTL_SECONDS,
    }),
    keyCache,
    flags,
    segments: new SegmentService(domain),
    metrics: new MetricService({ ...base, metrics: stores.metrics }),
    experiments,
    changes,
    rulesets,
    streams,
    lifecycle,
    logger,
    events: new EventsService({
      writer,
      limiter: new KeyRateLimiter(config.EVENTS_RATE_LIMIT_PER_SECOND, clock),
      clock,
      config,
    }),
    eventWriter: writer,
    analysis,
    analysisScheduler,
  };
}
