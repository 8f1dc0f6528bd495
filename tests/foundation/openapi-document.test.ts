// The OpenAPI document is a public contract: teams generate API clients from it. It is checked
// against the OpenAPI 3.1 schema by an independent validator, not only read by our own tests.
import { validate } from '@readme/openapi-parser';
import { expect, it } from 'vitest';
import { makeTestApp } from '../helpers/test-app.ts';

it('/api/openapi.json is a valid OpenAPI 3.1 document', async () => {
  const t = await makeTestApp();
  const doc = (await t.request('GET', '/api/openapi.json')).json;
  expect(doc.openapi).toMatch(/^3\.1\./);
  const result = await validate(structuredClone(doc));
  expect(result.valid, JSON.stringify('errors' in result ? result.errors : [], null, 1)).toBe(true);
  expect(result.warnings).toEqual([]);
});
