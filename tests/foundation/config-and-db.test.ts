import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/open-db.ts';
import { parseEnv } from '../../src/env.ts';

describe('configuration', () => {
  it('works with no configuration at all', () => {
    expect(parseEnv({})).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATABASE_URL: 'file:./data/flagstaff.db',
      LOG_LEVEL: 'info',
    });
  });

  it('names every bad variable', () => {
    expect(() => parseEnv({ PORT: 'eighty', LOG_LEVEL: 'loud', FLAGSTAFF_ADMIN_KEY: 'short' })).toThrow(
      /PORT: .*\n.*FLAGSTAFF_ADMIN_KEY: must be 32 to 200[\s\S]*LOG_LEVEL/,
    );
    expect(() => parseEnv({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must start with file:/);
  });

  it('exits with code 1 and a clear message on a bad value', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=flagstaff-source', 'src/index.ts'],
      {
        env: { ...process.env, PORT: '-1' },
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Invalid configuration');
    expect(run.stderr).toContain('PORT:');
  });
});

describe('database', () => {
  it('opens SQLite in WAL mode with foreign keys, a busy timeout and full sync, migrated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flagstaff-db-'));
    try {
      const db = openDb(`file:${join(dir, 'nested', 'flagstaff.db')}`);
      expect(db.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(db.sqlite.pragma('synchronous', { simple: true })).toBe(2);
      const tables = (
        db.sqlite.prepare("select name from sqlite_master where type='table'").all() as { name: string }[]
      ).map((r) => r.name);
      expect(tables).toEqual(
        expect.arrayContaining(['environments', 'users', 'sessions', 'api_keys', 'audit_log']),
      );
      db.close();
      const reopened = openDb(`file:${join(dir, 'nested', 'flagstaff.db')}`); // migrations are idempotent
      expect(reopened.ping()).toBe(true);
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rolls back the whole transaction when any part fails, and serialises concurrent ones', async () => {
    const db = openDb(':memory:');
    const now = Date.now();
    const insert = db.sqlite.prepare(
      'insert into environments (id, key, name, created_at, updated_at) values (?, ?, ?, ?, ?)',
    );
    await expect(
      db.transaction(async () => {
        insert.run('env_a', 'a', 'A', now, now);
        await Promise.resolve();
        insert.run('env_b', 'a', 'duplicate key', now, now);
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect(db.sqlite.prepare('select count(*) as n from environments').get()).toEqual({ n: 0 });

    const order: string[] = [];
    await Promise.all(
      ['x', 'y', 'z'].map((key) =>
        db.transaction(async () => {
          order.push(`begin ${key}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
          insert.run(`env_${key}`, key, key, now, now);
          order.push(`end ${key}`);
        }),
      ),
    );
    expect(order).toEqual(['begin x', 'end x', 'begin y', 'end y', 'begin z', 'end z']);
  });
});
