import { describe, expect, it } from 'vitest';
import { systemActor } from '../../src/audit/actor.ts';
import { createApp } from '../../src/app.ts';
import { openDb } from '../../src/db/open-db.ts';
import { seedFirstStart } from '../../src/seed.ts';
import { createServices } from '../../src/services.ts';
import { ADMIN_KEY, makeTestApp, PASSWORD } from '../helpers/test-app.ts';

describe('API keys', () => {
  it('shows the secret once, stores only its SHA-256, and names it by an id that is no part of it', async () => {
    const t = await makeTestApp();
    const created = await t.request('POST', '/api/v1/keys', {
      as: t.admin,
      body: { kind: 'client', environment: 'development', name: 'web' },
    });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^fs_client_[A-Za-z0-9_-]{43}$/);
    expect(created.json.prefix).toBeUndefined();
    expect(created.json.key).not.toContain(created.json.id);
    const stored = t.db.sqlite.prepare('select * from api_keys where id = ?').get(created.json.id) as Record<
      string,
      unknown
    >;
    expect(JSON.stringify(stored)).not.toContain(created.json.key);
    expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);
    const listed = await t.request('GET', '/api/v1/keys', { as: t.admin });
    expect(JSON.stringify(listed.json)).not.toContain(created.json.key);
    expect(listed.json.items.find((k: { id: string }) => k.id === created.json.id)).toMatchObject({
      kind: 'client',
      environment: 'development',
      lastUsedAt: null,
    });
  });

  it('records last use, and a revoked key stops working at once', async () => {
    const t = await makeTestApp();
    const created = await t.request('POST', '/api/v1/keys', {
      as: t.admin,
      body: { kind: 'admin', name: 'ci' },
    });
    const ci = { headers: { authorization: `Bearer ${created.json.key}` } };
    expect((await t.request('GET', '/api/v1/environments', { as: ci })).status).toBe(200);
    const listed = (await t.request('GET', '/api/v1/keys', { as: t.admin })).json.items.find(
      (k: { id: string }) => k.id === created.json.id,
    );
    expect(listed.lastUsedAt).not.toBeNull();
    expect(
      (await t.request('DELETE', `/api/v1/keys/${created.json.id}`, { as: t.admin })).json.revokedAt,
    ).not.toBeNull();
    const after = await t.request('GET', '/api/v1/environments', { as: ci });
    expect(after.status).toBe(401);
    expect(after.json.error.message).toMatch(/revoked/);
  });
});

describe('dashboard sessions', () => {
  it('signs in with an HttpOnly, SameSite=Lax cookie, Secure behind HTTPS, and signs out', async () => {
    const t = await makeTestApp();
    const login = await t.request('POST', '/api/v1/auth/login', {
      body: { email: 'admin@flagstaff.local', password: PASSWORD },
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^flagstaff_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const session = { headers: { cookie: cookie.split(';')[0]!, 'x-csrf-token': login.json.csrfToken } };
    const me = await t.request('GET', '/api/v1/auth/me', { as: session });
    expect(me.json).toMatchObject({
      type: 'user',
      user: { email: 'admin@flagstaff.local', role: 'admin' },
      csrfToken: login.json.csrfToken,
    });
    expect((await t.request('POST', '/api/v1/auth/logout', { as: session })).status).toBe(204);
    expect((await t.request('GET', '/api/v1/auth/me', { as: session })).status).toBe(401);

    const https = await t.request('POST', '/api/v1/auth/login', {
      body: { email: 'admin@flagstaff.local', password: PASSWORD },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(https.headers.get('set-cookie')).toMatch(/Secure/);
  });

  it('stores passwords with scrypt, never in clear', async () => {
    const t = await makeTestApp();
    const row = t.db.sqlite.prepare('select password_hash from users').get() as { password_hash: string };
    expect(row.password_hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  it('rate-limits failed sign-ins with 429 and Retry-After, by email', async () => {
    const t = await makeTestApp({ LOGIN_MAX_ATTEMPTS: 3 });
    const attempt = (password: string) =>
      t.request('POST', '/api/v1/auth/login', { body: { email: 'admin@flagstaff.local', password } });
    for (let i = 0; i < 3; i++) expect((await attempt('wrong password')).status).toBe(401);
    const limited = await attempt(PASSWORD); // even the right password waits out the window
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('does not tell unknown emails from wrong passwords, and refuses disabled users', async () => {
    const t = await makeTestApp();
    const unknown = await t.request('POST', '/api/v1/auth/login', {
      body: { email: 'nobody@example.com', password: PASSWORD },
    });
    const wrong = await t.request('POST', '/api/v1/auth/login', {
      body: { email: 'admin@flagstaff.local', password: 'nope' },
    });
    expect([unknown.status, wrong.status]).toEqual([401, 401]);
    expect(unknown.json.error.message).toBe(wrong.json.error.message);
    const user = await t.request('POST', '/api/v1/users', {
      as: t.admin,
      body: { email: 'gone@example.com', password: PASSWORD, role: 'editor' },
    });
    await t.request('PATCH', `/api/v1/users/${user.json.id}`, { as: t.admin, body: { disabled: true } });
    expect(
      (
        await t.request('POST', '/api/v1/auth/login', {
          body: { email: 'gone@example.com', password: PASSWORD },
        })
      ).status,
    ).toBe(401);
  });
});

describe('first start', () => {
  it('creates development and production, the admin with a generated password, and the admin key', async () => {
    const db = openDb(':memory:');
    const services = createServices({ db, config: { FLAGSTAFF_ADMIN_KEY: ADMIN_KEY } });
    const seeded = await seedFirstStart(services);
    expect(seeded.admin?.email).toBe('admin@flagstaff.local');
    expect(seeded.admin?.generatedPassword).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(seeded.adminKeySeeded).toBe(true);
    expect((await services.environments.list()).map((e) => e.key)).toEqual(['development', 'production']);

    const again = await seedFirstStart(services); // a restart changes nothing
    expect(again).toEqual({
      admin: undefined,
      adminKeySeeded: false,
      adminKeyRevoked: false,
      revokedAdminKeys: [],
    });
    expect((await services.keys.list()).length).toBe(1);

    const app = createApp({ db });
    const login = await app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@flagstaff.local', password: seeded.admin!.generatedPassword }),
    });
    expect(login.status).toBe(200);
    const withKey = await app.request('/api/v1/keys', { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(withKey.status).toBe(200);
  });

  it('uses FLAGSTAFF_ADMIN_EMAIL and FLAGSTAFF_ADMIN_PASSWORD when given', async () => {
    const db = openDb(':memory:');
    const services = createServices({
      db,
      config: { FLAGSTAFF_ADMIN_EMAIL: 'Ops@Example.com', FLAGSTAFF_ADMIN_PASSWORD: PASSWORD },
    });
    const seeded = await seedFirstStart(services);
    expect(seeded.admin).toEqual({ email: 'Ops@Example.com', generatedPassword: undefined });
    const login = await services.sessions.login('ops@example.com', PASSWORD, '127.0.0.1');
    expect(login.user.role).toBe('admin');
    await expect(
      services.users.create({ email: 'ops@example.com', password: PASSWORD, role: 'viewer' }, systemActor),
    ).rejects.toThrow(/already exists/);
  });
});
