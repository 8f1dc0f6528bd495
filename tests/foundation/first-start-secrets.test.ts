// Issue 13.4: password hashing strong enough for 2025 (and old hashes upgraded at sign-in), and
// keys seeded from FLAGSTAFF_ADMIN_KEY that follow the variable: revoked when it no longer names
// them, reported (not crashed on) when it names a revoked one.
import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { systemActor } from '../../src/audit/actor.ts';
import { createApp } from '../../src/app.ts';
import { openDb, type Db } from '../../src/db/open-db.ts';
import type { Env } from '../../src/env.ts';
import { seedFirstStart } from '../../src/seed.ts';
import { createServices } from '../../src/services.ts';
import { ADMIN_KEY, PASSWORD } from '../helpers/test-app.ts';

const OTHER_KEY = 'another-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';

/** One start of the service on `db`: services built from `config`, seeded, and an app. */
async function start(db: Db, config: Partial<Env>) {
  const services = createServices({ db, config: { FLAGSTAFF_ADMIN_PASSWORD: PASSWORD, ...config } });
  const seeded = await seedFirstStart(services);
  const app = createApp({ db, services });
  const status = async (secret: string) =>
    (await app.request('/api/v1/environments', { headers: { authorization: `Bearer ${secret}` } })).status;
  return { services, seeded, status };
}

describe('password hashing', () => {
  it('hashes with scrypt N=2^17, r=8, p=1', async () => {
    const db = openDb(':memory:');
    await start(db, {});
    const row = db.sqlite.prepare('select password_hash from users').get() as { password_hash: string };
    expect(row.password_hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  });

  it('rehashes a password stored with weaker parameters when its owner signs in', async () => {
    const db = openDb(':memory:');
    const { services } = await start(db, {});
    const salt = randomBytes(16);
    const old = scryptSync('an older password', salt, 32, { N: 16384, r: 8, p: 1 });
    const oldHash = ['scrypt', 16384, 8, 1, salt.toString('base64url'), old.toString('base64url')].join('$');
    await services.users.create(
      { email: 'early@example.com', password: 'placeholder pw', role: 'editor' },
      systemActor,
    );
    db.sqlite.prepare('update users set password_hash = ? where email = ?').run(oldHash, 'early@example.com');

    await services.sessions.login('early@example.com', 'an older password', '198.51.100.7');
    const row = db.sqlite
      .prepare('select password_hash from users where email = ?')
      .get('early@example.com') as {
      password_hash: string;
    };
    expect(row.password_hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    await expect(
      services.sessions.login('early@example.com', 'an older password', '198.51.100.7'),
    ).resolves.toBeDefined();
    await expect(
      services.sessions.login('early@example.com', 'not the password', '198.51.100.7'),
    ).rejects.toThrow(/Wrong email or password/);
  });
});

describe('the admin key seeded from FLAGSTAFF_ADMIN_KEY', () => {
  it('a revoked seeded key is reported at the next start, not re-created nor crashed on', async () => {
    const db = openDb(':memory:');
    const first = await start(db, { FLAGSTAFF_ADMIN_KEY: ADMIN_KEY });
    const key = (await first.services.keys.list())[0]!;
    await first.services.keys.revoke(key.id, systemActor);

    const second = await start(db, { FLAGSTAFF_ADMIN_KEY: ADMIN_KEY });
    expect(second.seeded.adminKeySeeded).toBe(false);
    expect(second.seeded.adminKeyRevoked).toBe(true);
    expect(await second.status(ADMIN_KEY)).toBe(401);
    expect((await second.services.keys.list()).length).toBe(1);
  });

  it('is revoked at start once the variable no longer names it', async () => {
    const db = openDb(':memory:');
    const first = await start(db, { FLAGSTAFF_ADMIN_KEY: ADMIN_KEY });
    expect(await first.status(ADMIN_KEY)).toBe(200);
    // An admin key someone created by hand, even under the same name, is not the seeded one.
    const handMade = await first.services.keys.create(
      { kind: 'admin', name: 'FLAGSTAFF_ADMIN_KEY' },
      {
        type: 'user',
        id: 'usr_ops',
        label: 'ops@example.com',
      },
    );

    const changed = await start(db, { FLAGSTAFF_ADMIN_KEY: OTHER_KEY });
    expect(changed.seeded.adminKeySeeded).toBe(true);
    expect(changed.seeded.revokedAdminKeys).toHaveLength(1);
    expect(await changed.status(ADMIN_KEY)).toBe(401);
    expect(await changed.status(OTHER_KEY)).toBe(200);

    const removed = await start(db, {});
    expect(removed.seeded.revokedAdminKeys).toHaveLength(1);
    expect(await removed.status(OTHER_KEY)).toBe(401);
    expect(await removed.status(handMade.secret)).toBe(200);
    const revocations = db.sqlite
      .prepare("select actor_label from audit_log where action = 'key.revoke'")
      .all() as { actor_label: string }[];
    expect(revocations).toEqual([{ actor_label: 'system' }, { actor_label: 'system' }]);

    const again = await start(db, {});
    expect(again.seeded.revokedAdminKeys).toEqual([]);
  });
});
