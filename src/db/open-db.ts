// Opens the embedded SQLite database (the default), applies the versioned migrations, and offers
// serialised transactions. PostgreSQL (`postgres://`) arrives with its own issue; the services
// only see the store interfaces, so it slots in behind them.
import BetterSqlite3 from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from './schema.ts';
import { Mutex } from './mutex.ts';

export type Orm = BetterSQLite3Database<typeof schema>;

export interface Db {
  readonly dialect: 'sqlite';
  readonly orm: Orm;
  readonly sqlite: BetterSqlite3.Database;
  /** The file the database lives in, or ':memory:'. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction: everything it writes commits together or not at all. Transactions
   * are serialised, because one SQLite connection has one transaction at a time and `fn` may await.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** True when the database answers a trivial query. */
  ping(): boolean;
  close(): void;
}

const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), 'migrations/sqlite');

/** `file:./data/flagstaff.db` → `./data/flagstaff.db`; `:memory:` stays as it is. */
export function sqlitePath(url: string): string {
  if (url === ':memory:' || url === 'file::memory:') return ':memory:';
  if (url.startsWith('file:')) return url.slice('file:'.length);
  return url;
}

/**
 * Opens (creating if needed) and migrates a database.
 * @example const db = openDb(':memory:'); // a fresh, migrated database for a test
 */
export function openDb(url: string): Db {
  if (/^postgres(ql)?:\/\//.test(url)) {
    throw new Error('PostgreSQL support is not built yet: use a file: DATABASE_URL (the default) for now');
  }
  const location = sqlitePath(url);
  if (location !== ':memory:') mkdirSync(dirname(resolve(location)), { recursive: true });
  const sqlite = new BetterSqlite3(location);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before it is acknowledged, so acknowledged writes survive a power cut.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const orm = drizzle(sqlite, { schema });
  migrate(orm, { migrationsFolder });

  const mutex = new Mutex();
  return {
    dialect: 'sqlite',
    orm,
    sqlite,
    location,
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      return mutex.run(async () => {
        sqlite.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn();
          sqlite.exec('COMMIT');
          return result;
        } catch (error) {
          if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
          throw error;
        }
      });
    },
    ping() {
      try {
        return sqlite.prepare('select 1 as ok').get() !== undefined;
      } catch {
        return false;
      }
    },
    close() {
      if (sqlite.open) sqlite.close();
    },
  };
}
