// PATCH of a flag's environment config (issue 13): an empty PATCH is a 400 and writes nothing — the
// version, the revision SDKs follow and the audit log stay as they were.
import { beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
const CONFIG = '/api/v1/flags/checkout/environments/production';

beforeEach(async () => {
  t = await makeTestApp();
  await t.request('POST', '/api/v1/flags', {
    as: t.admin,
    body: { key: 'checkout', valueType: 'boolean', defaultValue: false },
  });
  await t.request('PUT', CONFIG, {
    as: t.admin,
    body: { enabled: true, version: 0, rules: [{ id: 'one', type: 'force', value: true }] },
  });
});

const state = async () => {
  const config = (await t.request('GET', CONFIG, { as: t.admin })).json;
  const audit = t.db.sqlite.prepare('select count(*) as n from audit_log').get() as { n: number };
  const revision = t.db.sqlite
    .prepare("select revision from environments where key = 'production'")
    .get() as { revision: number };
  return { version: config.version, enabled: config.enabled, audit: audit.n, revision: revision.revision };
};

describe('PATCH /api/v1/flags/{key}/environments/{environment}', () => {
  it('refuses an empty body (or one with only the version) without bumping the version', async () => {
    const before = await state();
    expect(before).toMatchObject({ version: 1, enabled: true });
    const bodies = [{}, { version: 1 }];
    for (const body of bodies) {
      const res = await t.request('PATCH', CONFIG, { as: t.admin, body, headers: { 'if-match': '"1"' } });
      expect(res.status, res.text).toBe(400);
      expect(res.json.error.code).toBe('validation_failed');
      expect(res.json.error.message).toBe('body: give at least one of enabled, ruleOrder, ruleEnabled');
    }
    expect(await state()).toEqual(before);
    // A real change still bumps it, once.
    const off = await t.request('PATCH', CONFIG, { as: t.admin, body: { enabled: false } });
    expect(off.json).toMatchObject({ enabled: false, version: 2 });
    expect(await state()).toEqual({
      version: 2,
      enabled: false,
      audit: before.audit + 1,
      revision: before.revision + 1,
    });
  });
});
