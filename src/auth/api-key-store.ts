import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/open-db.ts';
import { apiKeys } from '../db/schema.ts';

export type ApiKey = typeof apiKeys.$inferSelect;
export type KeyKind = ApiKey['kind'];

export interface ApiKeyStore {
  list(): Promise<ApiKey[]>;
  byId(id: string): Promise<ApiKey | undefined>;
  /** The unrevoked key with this secret hash. */
  activeByHash(hash: string): Promise<ApiKey | undefined>;
  insert(key: ApiKey): Promise<void>;
  revoke(id: string, at: Date): Promise<void>;
  touch(id: string, at: Date): Promise<void>;
}

export function sqliteApiKeyStore({ orm, sqlite }: Db): ApiKeyStore {
  // Every SDK request looks its key up: prepared once, not rebuilt per request.
  const byHash = orm
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, sql.placeholder('hash')), isNull(apiKeys.revokedAt)))
    .prepare();
  return {
    async list() {
      return orm.select().from(apiKeys).orderBy(desc(apiKeys.createdAt)).all();
    },
    async byId(id) {
      return orm.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
    },
    async activeByHash(hash) {
      return byHash.get({ hash });
    },
    async insert(key) {
      orm.insert(apiKeys).values(key).run();
    },
    async revoke(id, at) {
      orm.update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id)).run();
    },
    async touch(id, at) {
      // Never waits for a lock held elsewhere (that would stall the event loop): a last-used time
      // is best effort, and the caller ignores a failure.
      const wait = sqlite.pragma('busy_timeout', { simple: true }) as number;
      sqlite.pragma('busy_timeout = 0');
      try {
        orm.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id)).run();
      } finally {
        sqlite.pragma(`busy_timeout = ${wait}`);
      }
    },
  };
}
