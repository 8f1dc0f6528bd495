// The SQLite schema (drizzle). Timestamps are epoch milliseconds; JSON columns hold plain objects.
// A PostgreSQL twin of this file will follow with the PostgreSQL backend; the store interfaces
// (src/*/*-store.ts) are what the services depend on, not these tables.
import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const createdAt = () =>
  integer('created_at', { mode: 'timestamp_ms' })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`);

export const environments = sqliteTable('environments', {
  id: text('id').primaryKey(),
  key: text('key').notNull().unique(),
  name: text('name').notNull(),
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
    /** The first characters of the secret, shown in listings so a key can be recognised. */
    prefix: text('prefix').notNull(),
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
