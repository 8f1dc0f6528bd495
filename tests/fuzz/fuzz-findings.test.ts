// Regressions for what the API fuzz suite (api-fuzz.test.ts) found, one request each.
import { expect, it } from 'vitest';
import { makeTestApp } from '../helpers/test-app.ts';

it('a json flag with a null default value is a 400 naming the field, not a 500', async () => {
  const t = await makeTestApp();
  const created = await t.request('POST', '/api/v1/flags', {
    as: t.admin,
    body: { key: 'null-default', valueType: 'json', defaultValue: null },
  });
  expect(created.status, created.text).toBe(400);
  expect(created.json.error.message).toContain('body.defaultValue');

  await t.request('POST', '/api/v1/flags', {
    as: t.admin,
    body: { key: 'cfg', valueType: 'json', defaultValue: {} },
  });
  const patched = await t.request('PATCH', '/api/v1/flags/cfg', {
    as: t.admin,
    body: { defaultValue: null },
  });
  expect(patched.status, patched.text).toBe(400);
  expect(patched.json.error.message).toContain('body.defaultValue');
});
