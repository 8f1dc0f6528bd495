import { beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});

const createFlag = (body: Record<string, unknown>) =>
  t.request('POST', '/api/v1/flags', { as: t.admin, body });
const putConfig = (
  key: string,
  env: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) => t.request('PUT', `/api/v1/flags/${key}/environments/${env}`, { as: t.admin, body, headers });

describe('flags', () => {
  it('creates a flag off everywhere, with its default checked against its type', async () => {
    const created = await createFlag({
      key: 'new-checkout',
      valueType: 'boolean',
      defaultValue: false,
      tags: ['checkout'],
      description: 'One-page checkout',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      key: 'new-checkout',
      valueType: 'boolean',
      defaultValue: false,
      archived: false,
    });
    const got = await t.request('GET', '/api/v1/flags/new-checkout', { as: t.admin });
    expect(
      got.json.environments.map((e: { environment: string; enabled: boolean; version: number }) => [
        e.environment,
        e.enabled,
        e.version,
      ]),
    ).toEqual([
      ['development', false, 0],
      ['production', false, 0],
    ]);
    const wrong = await createFlag({ key: 'price', valueType: 'number', defaultValue: 'ten' });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.message).toContain('body.defaultValue');
    expect(
      (await createFlag({ key: 'Bad Key', valueType: 'string', defaultValue: '' })).json.error.message,
    ).toContain('body.key');
    expect((await createFlag({ key: 'new-checkout', valueType: 'boolean', defaultValue: true })).status).toBe(
      409,
    );
  });

  it('lists with search, tag and archived filters, and pages by key', async () => {
    for (const [key, tags] of [
      ['alpha', ['a']],
      ['beta', ['a', 'b']],
      ['gamma', ['b']],
      ['delta', []],
    ] as const) {
      await createFlag({ key, valueType: 'string', defaultValue: 'x', tags, description: `the ${key} flag` });
    }
    await t.request('POST', '/api/v1/flags/delta/archive', { as: t.admin });
    const keys = async (query: string) =>
      (await t.request('GET', `/api/v1/flags${query}`, { as: t.admin })).json.items.map(
        (f: { key: string }) => f.key,
      );
    expect(await keys('')).toEqual(['alpha', 'beta', 'gamma']);
    expect(await keys('?tag=a')).toEqual(['alpha', 'beta']);
    expect(await keys('?search=gam')).toEqual(['gamma']);
    expect(await keys('?search=flag&archived=true')).toEqual(['delta']);
    expect(await keys('?archived=all')).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    const first = await t.request('GET', '/api/v1/flags?limit=2', { as: t.admin });
    expect(first.json.nextCursor).toBe('beta');
    expect(await keys(`?limit=2&cursor=${first.json.nextCursor}`)).toEqual(['gamma']);
  });

  it('updates, archives and unarchives, with audit entries', async () => {
    await createFlag({ key: 'banner', valueType: 'string', defaultValue: 'hello' });
    expect(
      (await t.request('PATCH', '/api/v1/flags/banner', { as: t.admin, body: { defaultValue: 42 } })).status,
    ).toBe(400);
    expect(
      (
        await t.request('PATCH', '/api/v1/flags/banner', {
          as: t.admin,
          body: { defaultValue: 'hi', owner: 'web-team' },
        })
      ).json,
    ).toMatchObject({ defaultValue: 'hi', owner: 'web-team' });
    expect((await t.request('POST', '/api/v1/flags/banner/archive', { as: t.admin })).json.archived).toBe(
      true,
    );
    expect((await t.request('POST', '/api/v1/flags/banner/unarchive', { as: t.admin })).json.archived).toBe(
      false,
    );
    const actions = (await t.request('GET', '/api/v1/audit?targetType=flag', { as: t.admin })).json.items.map(
      (e: { action: string }) => e.action,
    );
    expect(actions).toEqual(['flag.unarchive', 'flag.archive', 'flag.update', 'flag.create']);
  });

  it('refuses to delete a flag another flag depends on, and deletes it once free', async () => {
    await createFlag({ key: 'parent', valueType: 'boolean', defaultValue: false });
    await createFlag({ key: 'child', valueType: 'boolean', defaultValue: false });
    await putConfig('child', 'production', {
      enabled: true,
      version: 0,
      rules: [
        { type: 'force', value: true, prerequisites: [{ flag: 'parent', condition: { value: true } }] },
      ],
    });
    const refused = await t.request('DELETE', '/api/v1/flags/parent', { as: t.admin });
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain('flag child');
    await putConfig('child', 'production', { enabled: true, version: 1, rules: [] });
    expect((await t.request('DELETE', '/api/v1/flags/parent', { as: t.admin })).status).toBe(204);
    expect((await t.request('GET', '/api/v1/flags/parent', { as: t.admin })).status).toBe(404);
  });
});

describe('flag configuration per environment', () => {
  beforeEach(async () => {
    await createFlag({ key: 'checkout', valueType: 'string', defaultValue: 'old' });
  });

  it('stores ordered rules, gives them ids, and bumps the version', async () => {
    const put = await putConfig('checkout', 'production', {
      enabled: true,
      version: 0,
      rules: [
        { type: 'force', value: 'staff', condition: { email: { $regex: '@example\\.com$' } } },
        { id: 'half', type: 'rollout', value: 'new', coverage: 0.5 },
        {
          type: 'experiment',
          experiment: 'checkout-test',
          variations: [
            { key: 'control', value: 'old', weight: 0.5 },
            { key: 'treatment', value: 'new', weight: 0.5 },
          ],
        },
      ],
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe('"1"');
    expect(put.json.version).toBe(1);
    expect(put.json.rules.map((r: { type: string }) => r.type)).toEqual(['force', 'rollout', 'experiment']);
    expect(put.json.rules[1]).toMatchObject({ id: 'half', hashAttribute: 'id', enabled: true });
    expect(put.json.rules[0].id).toMatch(/^r_/);
    // development is untouched
    expect(
      (await t.request('GET', '/api/v1/flags/checkout/environments/development', { as: t.admin })).json,
    ).toMatchObject({ enabled: false, version: 0, rules: [] });
  });

  it('refuses a stale version with 409 and the current version; requires a version', async () => {
    await putConfig('checkout', 'production', { enabled: true, rules: [] }, { 'if-match': '"0"' });
    const stale = await putConfig(
      'checkout',
      'production',
      { enabled: false, rules: [] },
      { 'if-match': '"0"' },
    );
    expect(stale.status).toBe(409);
    expect(stale.json.error.details.currentVersion).toBe(1);
    const staleBody = await putConfig('checkout', 'production', { enabled: false, rules: [], version: 0 });
    expect(staleBody.status).toBe(409);
    const missing = await putConfig('checkout', 'production', { enabled: false, rules: [] });
    expect(missing.status).toBe(428);
    expect(
      (await t.request('GET', '/api/v1/flags/checkout/environments/production', { as: t.admin })).json,
    ).toMatchObject({ enabled: true, version: 1 });
  });

  it('validates conditions, values, weights, segments and prerequisites, naming the path', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { type: 'force', value: 'x', condition: { country: { $regex: '([a-z' } } },
        'body.rules.0.condition.country.$regex',
      ],
      [
        { type: 'force', value: 'x', condition: { country: { $within: ['NL'] } } },
        'body.rules.0.condition.country.$within',
      ],
      [{ type: 'force', value: 'x', condition: { $where: 'true' } }, 'body.rules.0.condition.$where'],
      [{ type: 'force', value: 'x', condition: { age: { $gt: [18] } } }, 'body.rules.0.condition.age.$gt'],
      [{ type: 'force', value: 'x', condition: { $or: { a: 1 } } }, 'body.rules.0.condition.$or'],
      [{ type: 'force', value: 7 }, 'body.rules.0.value'],
      [{ type: 'rollout', value: 'x', coverage: 1.5 }, 'body.rules.0.coverage'],
      [
        {
          type: 'experiment',
          experiment: 'e',
          variations: [
            { key: 'a', value: 'x', weight: 0.5 },
            { key: 'b', value: 'y', weight: 0.6 },
          ],
        },
        'body.rules.0.variations',
      ],
      [
        {
          type: 'experiment',
          experiment: 'e',
          variations: [
            { key: 'a', value: 'x', weight: 0.5 },
            { key: 'b', value: 3, weight: 0.5 },
          ],
        },
        'body.rules.0.variations.1.value',
      ],
      [{ type: 'force', value: 'x', segments: ['nobody'] }, "unknown segment 'nobody'"],
      [
        { type: 'force', value: 'x', prerequisites: [{ flag: 'ghost', condition: { value: true } }] },
        'body.rules.0.prerequisites.0.flag',
      ],
      [{ type: 'shout', value: 'x' }, 'body.rules.0.type'],
    ];
    for (const [rule, path] of cases) {
      const response = await putConfig('checkout', 'production', {
        enabled: true,
        version: 0,
        rules: [rule],
      });
      expect(response.status, JSON.stringify(rule)).toBe(400);
      expect(response.json.error.message, JSON.stringify(rule)).toContain(path);
    }
    expect(
      (await t.request('GET', '/api/v1/flags/checkout/environments/production', { as: t.admin })).json
        .version,
    ).toBe(0);
  });

  it('flips the kill switch, reorders rules and switches single rules', async () => {
    const put = await putConfig('checkout', 'production', {
      enabled: true,
      version: 0,
      rules: [
        { id: 'one', type: 'force', value: 'a', condition: { plan: 'pro' } },
        { id: 'two', type: 'force', value: 'b' },
      ],
    });
    const patch = (body: Record<string, unknown>) =>
      t.request('PATCH', '/api/v1/flags/checkout/environments/production', { as: t.admin, body });
    expect((await patch({ enabled: false })).json).toMatchObject({ enabled: false, version: 2 });
    const reordered = await patch({ ruleOrder: ['two', 'one'], version: 2 });
    expect(reordered.json.rules.map((r: { id: string }) => r.id)).toEqual(['two', 'one']);
    expect((await patch({ ruleOrder: ['two'], version: 3 })).json.error.message).toContain('body.ruleOrder');
    expect((await patch({ ruleOrder: ['one', 'two'] })).status).toBe(428);
    const toggled = await patch({ ruleEnabled: { two: false }, version: 3 });
    expect(toggled.json.rules.find((r: { id: string }) => r.id === 'two').enabled).toBe(false);
    expect(put.json.version).toBe(1);
  });
});
