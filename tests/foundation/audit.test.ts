import { beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});

const entries = async (query = '') => (await t.request('GET', `/api/v1/audit${query}`, { as: t.admin })).json;

describe('audit log', () => {
  it('records the first start as done by system', async () => {
    const { items } = await entries('?actorType=system');
    expect(items.map((e: { action: string }) => e.action).sort()).toEqual(
      ['environment.create', 'environment.create', 'key.create', 'user.create'].sort(),
    );
    const user = items.find((e: { action: string }) => e.action === 'user.create');
    expect(user.actor).toEqual({ type: 'system', id: null, label: 'system' });
    expect(JSON.stringify(user.after)).not.toContain('scrypt'); // never the password hash
  });

  it('every mutation records actor, action, target and before/after', async () => {
    const editor = await t.signIn('admin');
    const created = await t.request('POST', '/api/v1/environments', {
      as: editor,
      body: { key: 'staging', name: 'Staging' },
    });
    await t.request('PATCH', '/api/v1/environments/staging', {
      as: t.admin,
      body: { name: 'Pre-production' },
    });
    const key = await t.request('POST', '/api/v1/keys', {
      as: t.admin,
      body: { kind: 'server', environment: 'staging', name: 'api' },
    });
    await t.request('DELETE', `/api/v1/keys/${key.json.id}`, { as: t.admin });
    const user = await t.request('POST', '/api/v1/users', {
      as: t.admin,
      body: { email: 'pm@example.com', password: 'a long enough password', role: 'viewer' },
    });
    await t.request('PATCH', `/api/v1/users/${user.json.id}`, {
      as: t.admin,
      body: { role: 'editor', password: 'another long password' },
    });

    const { items } = await entries('?limit=100');
    const byAction = (action: string) => items.filter((e: { action: string }) => e.action === action).at(0);

    const envCreate = byAction('environment.create');
    expect(envCreate.actor.type).toBe('user');
    expect(envCreate.actor.label).toMatch(/^admin-.*@example.com$/);
    expect(envCreate.target).toEqual({ type: 'environment', id: created.json.id });
    expect(envCreate.before).toBeNull();
    expect(envCreate.after).toMatchObject({ key: 'staging', name: 'Staging' });
    expect(envCreate.requestId).toBeTruthy();

    const envUpdate = byAction('environment.update');
    expect(envUpdate.actor).toMatchObject({
      type: 'key',
      label: expect.stringContaining('FLAGSTAFF_ADMIN_KEY'),
    });
    expect(envUpdate.before.name).toBe('Staging');
    expect(envUpdate.after.name).toBe('Pre-production');

    const keyCreate = byAction('key.create');
    expect(keyCreate.after).toMatchObject({
      kind: 'server',
      environment: 'staging',
      id: key.json.id,
    });
    expect(JSON.stringify(keyCreate)).not.toContain(key.json.key); // the secret never reaches the log
    const revoke = byAction('key.revoke');
    expect(revoke.before.revokedAt).toBeNull();
    expect(revoke.after.revokedAt).toBeTruthy();

    const userUpdate = byAction('user.update');
    expect(userUpdate.before.role).toBe('viewer');
    expect(userUpdate.after).toMatchObject({ role: 'editor', passwordChanged: true });
    expect(JSON.stringify(userUpdate)).not.toContain('another long password');
    expect(byAction('session.login')).toBeDefined();
  });

  it('filters by action, actor and target, and pages with a cursor', async () => {
    for (let i = 0; i < 7; i++) {
      await t.request('POST', '/api/v1/environments', {
        as: t.admin,
        body: { key: `env-${i}`, name: `Env ${i}` },
      });
    }
    const all = await entries('?action=environment.create&actorType=key&limit=100');
    expect(all.items).toHaveLength(7);
    expect(all.nextCursor).toBeNull();

    const seen: number[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const page: { items: { id: number }[]; nextCursor: string | null } = await entries(
        `?action=environment.create&actorType=key&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(all.items.map((e: { id: number }) => e.id));
    expect([...seen].sort((a, b) => b - a)).toEqual(seen); // newest first

    const one = all.items[0];
    const byTarget = await entries(`?targetType=environment&targetId=${one.target.id}`);
    expect(byTarget.items.map((e: { id: number }) => e.id)).toEqual([one.id]);
    const future = await entries(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.items).toEqual([]);
  });

  it('a failed mutation writes no audit entry', async () => {
    const before = (await entries('?limit=500')).items.length;
    const dup = await t.request('POST', '/api/v1/environments', {
      as: t.admin,
      body: { key: 'production', name: 'Again' },
    });
    expect(dup.status).toBe(409);
    expect((await entries('?limit=500')).items.length).toBe(before);
  });
});
