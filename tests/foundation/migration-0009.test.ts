// Migration 0009 on a database written before it: flags made then stay available to client keys
// (no app breaks on upgrade), and the labels that held the first 16 characters of a key's secret
// ("name (fs_admin_abcdef…)") in the audit log, flags' updatedBy and keys' createdBy name its id.
import BetterSqlite3 from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/open-db.ts';

const migrations = resolve(import.meta.dirname, '../../src/db/migrations/sqlite');
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A database file migrated up to 0008, as an older release left it. */
function databaseBefore0009(): string {
  dir = mkdtempSync(join(tmpdir(), 'flagstaff-0009-'));
  const folder = join(dir, 'migrations');
  cpSync(migrations, folder, { recursive: true });
  const journalFile = join(folder, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((entry) => entry.idx < 9);
  writeFileSync(journalFile, JSON.stringify(journal));
  const file = join(dir, 'flagstaff.db');
  const sqlite = new BetterSqlite3(file);
  migrate(drizzle(sqlite), { migrationsFolder: folder });
  sqlite.close();
  return file;
}

describe('migration 0009', () => {
  it('keeps existing flags available to client keys and takes key secrets out of stored labels', () => {
    const file = databaseBefore0009();
    const chosen = 'operator-chosen-admin-key-0123456789-abcdefghij';
    const seededPrefix = chosen.slice(0, 16);
    const ciPrefix = 'fs_admin_Zq8w3Lk';
    const seededLabel = `FLAGSTAFF_ADMIN_KEY (${seededPrefix}…)`;
    const ciLabel = `ci (${ciPrefix}…)`;
    const old = new BetterSqlite3(file);
    old.exec(`
      INSERT INTO environments (id, key, name, updated_at) VALUES ('env_p', 'production', 'Production', 1);
      INSERT INTO api_keys (id, kind, name, prefix, hash, created_by)
        VALUES ('key_seeded00001', 'admin', 'FLAGSTAFF_ADMIN_KEY', '${seededPrefix}', 'h1', 'system'),
               ('key_ci000000001', 'admin', 'ci', '${ciPrefix}', 'h2', '${seededLabel}');
      INSERT INTO flags (id, key, value_type, default_value, tags, updated_at)
        VALUES ('flg_1', 'checkout', 'boolean', 'false', '[]', 1);
      INSERT INTO flag_environments (flag_id, environment_id, enabled, rules, version, updated_at, updated_by)
        VALUES ('flg_1', 'env_p', 1, '[]', 1, 1, '${ciLabel}');
      INSERT INTO audit_log (at, actor_type, actor_id, actor_label, action, target_type, target_id, before, after)
        VALUES (1, 'key', 'key_seeded00001', '${seededLabel}', 'key.create', 'key', 'key_ci000000001', NULL,
                '{"id":"key_ci000000001","prefix":"${ciPrefix}","createdBy":"${seededLabel}"}'),
               (2, 'key', 'key_ci000000001', '${ciLabel}', 'flag.config.update', 'flag', 'flg_1',
                '{"version":0,"updatedBy":null}', '{"version":1,"updatedBy":"${ciLabel}"}'),
               (3, 'user', 'usr_1', 'pm@example.com', 'flag.update', 'flag', 'flg_1', '{}', '{}');
    `);
    old.close();

    const db = openDb(`file:${file}`);
    try {
      const get = (sql: string) => db.sqlite.prepare(sql).all();
      expect(get('SELECT key, available_to_client_keys AS a FROM flags')).toEqual([
        { key: 'checkout', a: 1 },
      ]);
      expect(get('SELECT key, default_available_to_client_keys AS d FROM environments')).toEqual([
        { key: 'production', d: 0 },
      ]);
      expect(get('SELECT updated_by AS by FROM flag_environments')).toEqual([{ by: 'ci (key_ci000000001)' }]);
      expect(get('SELECT id, created_by AS by FROM api_keys ORDER BY id')).toEqual([
        { id: 'key_ci000000001', by: 'FLAGSTAFF_ADMIN_KEY (key_seeded00001)' },
        { id: 'key_seeded00001', by: 'system' },
      ]);
      expect(get('SELECT actor_label AS label FROM audit_log ORDER BY id')).toEqual([
        { label: 'FLAGSTAFF_ADMIN_KEY (key_seeded00001)' },
        { label: 'ci (key_ci000000001)' },
        { label: 'pm@example.com' },
      ]);
      const stored = JSON.stringify(get('SELECT * FROM audit_log'));
      expect(stored).not.toContain(seededPrefix);
      expect(stored).not.toContain(ciPrefix);
      expect(stored).toContain('"createdBy\\":\\"FLAGSTAFF_ADMIN_KEY (key_seeded00001)');
      expect(get("SELECT name FROM pragma_table_info('api_keys') WHERE name = 'prefix'")).toEqual([]);
    } finally {
      db.close();
    }
  });
});
