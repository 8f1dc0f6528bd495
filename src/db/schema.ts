// The SQLite schema (drizzle). Timestamps are epoch milliseconds; JSON columns hold plain objects.
// A PostgreSQL twin of this file will follow with the PostgreSQL backend; the store interfaces
// (src/*/*-store.ts) are what the services depend on, not these tables.
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { ExperimentPlan, ExperimentPlanning, ExperimentSettings } from '../experiments/analysis-spec.ts';

const createdAt = () =>
  integer('created_at', { mode: 'timestamp_ms' })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`);

export const environments = sqliteTable('environments', {
  id: text('id').primaryKey(),
  key: text('key').notNull().unique(),
  name: text('name').notNull(),
  /** May client (browser) keys download the full ruleset, i.e. see the targeting rules? */
  allowClientRuleset: integer('allow_client_ruleset', { mode: 'boolean' }).notNull().default(false),
  /** AES-128 key (base64) encrypting the ruleset served to client keys; null = plain. */
  encryptionKey: text('encryption_key'),
  /**
   * Whether flags that do not say (`flags.available_to_client_keys` null: new flags) are served to
   * client keys in this environment. Off by default.
   */
  defaultAvailableToClientKeys: integer('default_available_to_client_keys', { mode: 'boolean' })
    .notNull()
    .default(false),
  /** Bumped in the same transaction as every change that alters this environment's ruleset. */
  revision: integer('revision').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  role: text('role', { enum: ['viewer', 'editor', 'releaser', 'admin'] }).notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: createdAt(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  disabledAt: integer('disabled_at', { mode: 'timestamp_ms' }),
});

export const sessions = sqliteTable(
  'sessions',
  {
    /** SHA-256 of the session token: a stolen database does not yield live sessions. */
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ['client', 'server', 'admin'] }).notNull(),
    environmentId: text('environment_id').references(() => environments.id),
    name: text('name').notNull(),
    /** SHA-256 of the secret; the secret itself is shown once and never stored. */
    hash: text('hash').notNull(),
    createdAt: createdAt(),
    createdBy: text('created_by').notNull(),
    lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
  },
  (t) => [uniqueIndex('api_keys_hash_idx').on(t.hash)],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    actorType: text('actor_type', { enum: ['user', 'key', 'system'] }).notNull(),
    actorId: text('actor_id'),
    actorLabel: text('actor_label').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    before: text('before', { mode: 'json' }),
    after: text('after', { mode: 'json' }),
    requestId: text('request_id'),
  },
  (t) => [
    index('audit_target_idx').on(t.targetType, t.targetId, t.id),
    index('audit_actor_idx').on(t.actorId, t.id),
    index('audit_action_idx').on(t.action, t.id),
  ],
);

export const flags = sqliteTable('flags', {
  id: text('id').primaryKey(),
  key: text('key').notNull().unique(),
  description: text('description').notNull().default(''),
  valueType: text('value_type', { enum: ['boolean', 'string', 'number', 'json'] }).notNull(),
  defaultValue: text('default_value', { mode: 'json' }).notNull(),
  tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
  owner: text('owner'),
  /**
   * Served to client keys (their ruleset, remote evaluation)? null: as the environment's
   * `default_available_to_client_keys` says. Flags older than migration 0009 were set to true.
   */
  availableToClientKeys: integer('available_to_client_keys', { mode: 'boolean' }),
  archivedAt: integer('archived_at', { mode: 'timestamp_ms' }),
  createdAt: createdAt(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/** A flag's configuration in one environment. A missing row means: off, no rules, version 0. */
export const flagEnvironments = sqliteTable(
  'flag_environments',
  {
    flagId: text('flag_id')
      .notNull()
      .references(() => flags.id, { onDelete: 'cascade' }),
    environmentId: text('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    enabled: integer('enabled', { mode: 'boolean' }).notNull(),
    rules: text('rules', { mode: 'json' }).$type<unknown[]>().notNull(),
    /** Optimistic concurrency: every update must name the version it read. */
    version: integer('version').notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.flagId, t.environmentId] }),
    index('flag_env_env_idx').on(t.environmentId),
  ],
);

export const segments = sqliteTable('segments', {
  id: text('id').primaryKey(),
  key: text('key').notNull().unique(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  kind: text('kind', { enum: ['condition', 'ids'] }).notNull(),
  condition: text('condition', { mode: 'json' }).$type<Record<string, unknown>>(),
  /** For id lists: the attribute holding the id (e.g. `id`, `company`). */
  attribute: text('attribute'),
  ids: text('ids', { mode: 'json' }).$type<string[]>(),
  idCount: integer('id_count').notNull().default(0),
  createdAt: createdAt(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

// ── Events (issue 5) ────────────────────────────────────────────────────────────────────────────
// Written only by the group-commit event writer (src/events/), on its own connection, with raw
// prepared statements; see docs/decisions/0004-group-commit.md. `ts` is the client's event time and
// `received_at` the server's, both epoch milliseconds. Environments and keys are referenced by id
// without foreign keys, to keep the per-row insert cost down. An event is identified by (ts, id):
// an SDK retry resends both unchanged, and a ts-first key keeps the unique index append-mostly (a
// random-UUID-first index rewrites pages all over the tree on every commit). Indexes are few and
// narrow because every one costs each insert (measured: docs/decisions/0004-group-commit.md).

/** One row per exposure received (an SDK evaluated an experiment or a ramp for a unit). */
export const exposures = sqliteTable(
  'exposures',
  {
    environmentId: text('environment_id').notNull(),
    id: text('id').notNull(),
    ts: integer('ts', { mode: 'timestamp_ms' }).notNull(),
    unit: text('unit').notNull(),
    experiment: text('experiment').notNull(),
    variation: text('variation').notNull(),
    flag: text('flag'),
    /** JSON text of the attributes the SDK sent, or null. */
    attributes: text('attributes'),
    keyId: text('key_id').notNull(),
    receivedAt: integer('received_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('exposures_dedup_idx').on(t.ts, t.id),
    index('exposures_experiment_idx').on(t.environmentId, t.experiment, t.ts),
  ],
);

/** One row per `track()` outcome received. */
export const trackEvents = sqliteTable(
  'track_events',
  {
    environmentId: text('environment_id').notNull(),
    id: text('id').notNull(),
    ts: integer('ts', { mode: 'timestamp_ms' }).notNull(),
    unit: text('unit').notNull(),
    event: text('event').notNull(),
    value: real('value'),
    /** JSON text of the properties the SDK sent, or null. */
    properties: text('properties'),
    keyId: text('key_id').notNull(),
    receivedAt: integer('received_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('track_events_dedup_idx').on(t.ts, t.id),
    index('track_events_event_idx').on(t.environmentId, t.event, t.ts),
  ],
);

/**
 * The first exposure of each unit to each experiment, per environment: where the unit's
 * attribution starts. Maintained by the event writer in the same transaction as the exposures
 * (an upsert per new exposure). `multipleVariations` is set once the unit has been seen in more
 * than one variation (a health signal). The migration creates it WITHOUT ROWID (one b-tree).
 */
export const experimentUnits = sqliteTable(
  'experiment_units',
  {
    environmentId: text('environment_id').notNull(),
    experiment: text('experiment').notNull(),
    unit: text('unit').notNull(),
    firstExposureAt: integer('first_exposure_at', { mode: 'timestamp_ms' }).notNull(),
    /** The variation of the earliest exposure. */
    variation: text('variation').notNull(),
    multipleVariations: integer('multiple_variations', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.experiment, t.unit] })],
);

// ── Metrics and experiments (issue 6) ───────────────────────────────────────────────────────────

/** What an experiment measures: an event aggregated per unit after its first exposure. */
export const metrics = sqliteTable('metrics', {
  id: text('id').primaryKey(),
  key: text('key').notNull().unique(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  kind: text('kind', {
    enum: ['binomial', 'mean', 'count', 'ratio', 'retention', 'nps', 'repeat'],
  }).notNull(),
  eventName: text('event_name').notNull(),
  /** Ratio metrics: the denominator's event. */
  denominatorEventName: text('denominator_event_name'),
  direction: text('direction', { enum: ['higher', 'lower'] }).notNull(),
  /** Conversion window after first exposure; null = until the end of the experiment. */
  windowHours: real('window_hours'),
  /** Retention metrics: `{ fromDays, toDays }`. */
  retention: text('retention', { mode: 'json' }).$type<{ fromDays: number; toDays: number }>(),
  /** Winsorization: `{ type: 'value', value }` or `{ type: 'percentile', percentile }`. */
  capping: text('capping', { mode: 'json' }).$type<
    { type: 'value'; value: number } | { type: 'percentile'; percentile: number }
  >(),
  cupedLookbackDays: integer('cuped_lookback_days').notNull().default(14),
  /** Repeat metrics: `{ atLeast }`, the number of events that makes a unit count. */
  repeat: text('repeat', { mode: 'json' }).$type<{ atLeast: number }>(),
  /** Which effect a comparison's headline reports: `relative` (a lift) or `absolute` (a difference). */
  headlineEffect: text('headline_effect', { enum: ['relative', 'absolute'] })
    .notNull()
    .default('relative'),
  createdAt: createdAt(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

export const experiments = sqliteTable(
  'experiments',
  {
    id: text('id').primaryKey(),
    key: text('key').notNull().unique(),
    name: text('name').notNull(),
    hypothesis: text('hypothesis').notNull().default(''),
    /** An unfinished experiment's flag cannot be deleted (reference check); a finished one keeps its key. */
    flagId: text('flag_id').references(() => flags.id, { onDelete: 'set null' }),
    flagKey: text('flag_key').notNull(),
    environmentId: text('environment_id')
      .notNull()
      .references(() => environments.id),
    /** `[{ key, value, weight }]`, the first is the control; weights of the current phase. */
    variations: text('variations', { mode: 'json' })
      .$type<{ key: string; value: unknown; weight: number }[]>()
      .notNull(),
    coverage: real('coverage').notNull(),
    hashAttribute: text('hash_attribute').notNull(),
    settings: text('settings', { mode: 'json' }).$type<ExperimentSettings>().notNull(),
    /** What the PM plans for: the minimum effect that matters, the power wanted, the expected traffic. */
    plan: text('plan', { mode: 'json' }).$type<ExperimentPlan>(),
    /** What the start derived from the plan and the pre-period baseline (the sequential tuning above all). */
    planning: text('planning', { mode: 'json' }).$type<ExperimentPlanning>(),
    status: text('status', { enum: ['draft', 'running', 'stopped', 'shipped', 'abandoned'] }).notNull(),
    shippedVariation: text('shipped_variation'),
    /** Starting turned the flag on in its environment: stopping or abandoning turns it off again. */
    enabledFlag: integer('enabled_flag', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('experiments_flag_idx').on(t.flagId)],
);

/** Goal, secondary and guardrail metrics of an experiment, in order. A used metric cannot be deleted. */
export const experimentMetrics = sqliteTable(
  'experiment_metrics',
  {
    experimentId: text('experiment_id')
      .notNull()
      .references(() => experiments.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['goal', 'secondary', 'guardrail'] }).notNull(),
    position: integer('position').notNull(),
    metricId: text('metric_id')
      .notNull()
      .references(() => metrics.id),
  },
  (t) => [
    primaryKey({ columns: [t.experimentId, t.role, t.position] }),
    index('experiment_metrics_metric_idx').on(t.metricId),
  ],
);

/** A period with fixed weights and coverage; changing either starts the next phase. */
export const experimentPhases = sqliteTable(
  'experiment_phases',
  {
    experimentId: text('experiment_id')
      .notNull()
      .references(() => experiments.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    endedAt: integer('ended_at', { mode: 'timestamp_ms' }),
    weights: text('weights', { mode: 'json' }).$type<number[]>().notNull(),
    coverage: real('coverage').notNull(),
  },
  (t) => [primaryKey({ columns: [t.experimentId, t.number] })],
);

/** Cached analysis results (written by src/analysis/). */
export const experimentSnapshots = sqliteTable(
  'experiment_snapshots',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    experimentId: text('experiment_id')
      .notNull()
      .references(() => experiments.id, { onDelete: 'cascade' }),
    phase: integer('phase').notNull(),
    computedAt: integer('computed_at', { mode: 'timestamp_ms' }).notNull(),
    results: text('results', { mode: 'json' }).notNull(),
    /** What the results were computed for (`analysisSpecHash`): a snapshot of another spec is stale. */
    specHash: text('spec_hash'),
  },
  (t) => [index('experiment_snapshots_experiment_idx').on(t.experimentId, t.computedAt)],
);

/**
 * Incremental analysis state, one per experiment (src/analysis/analysis-state.ts): which spec it
 * was built for (`fingerprint`), up to which events (rowid watermarks, the analysed end), from which
 * time its pending events are kept (`pending_from`), and whether events it may have counted were
 * deleted since (`events_deleted`, set by the delete triggers of migration 0006 for rows at or after
 * `tracks_from` / `exposures_from`). The per-unit values live in `analysis_state_units_<id>`, created
 * with the spec's metric columns.
 */
export const analysisStates = sqliteTable(
  'analysis_states',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    environmentId: text('environment_id').notNull(),
    experiment: text('experiment').notNull(),
    fingerprint: text('fingerprint').notNull(),
    endMs: integer('end_ms').notNull(),
    trackRowid: integer('track_rowid').notNull(),
    exposureRowid: integer('exposure_rowid').notNull(),
    // 0 for states made before these columns: any deletion marks them, nothing was pruned.
    tracksFrom: integer('tracks_from').notNull().default(0),
    exposuresFrom: integer('exposures_from').notNull().default(0),
    pendingFrom: integer('pending_from').notNull().default(0),
    eventsDeleted: integer('events_deleted', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [uniqueIndex('analysis_states_experiment_idx').on(t.environmentId, t.experiment)],
);

/**
 * Metric events of units not (yet) analysed, kept by the incremental analysis: when such a unit is
 * first exposed, its earlier events (the CUPED pre-period) count without re-reading `track_events`.
 * Only events from the state's `pending_from` on are kept (older ones can no longer count).
 */
export const analysisPendingEvents = sqliteTable(
  'analysis_pending_events',
  {
    stateId: integer('state_id')
      .notNull()
      .references(() => analysisStates.id, { onDelete: 'cascade' }),
    unit: text('unit').notNull(),
    /** The event's position in the spec's list of metric events. */
    event: integer('event').notNull(),
    ts: integer('ts').notNull(),
    value: real('value').notNull(),
  },
  (t) => [
    index('analysis_pending_events_unit_idx').on(t.stateId, t.unit),
    index('analysis_pending_events_ts_idx').on(t.stateId, t.ts),
  ],
);
