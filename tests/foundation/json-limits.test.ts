// Limits before parsing hurts (issue 13): JSON that nests too deep or is too large is a 400 naming
// the field, never a 500 (a stack overflow SDKs would retry), and nothing is written.
import { beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/test-app.ts';
import { tableRowCounts } from '../helpers/table-counts.ts';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
  await t.request('POST', '/api/v1/flags', {
    as: t.admin,
    body: { key: 'checkout', valueType: 'json', defaultValue: { layout: 'old' } },
  });
});

// Built as text: JSON.stringify itself overflows on values this deep.
const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const deepArray = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
const notChain = (levels: number) => `${'{"$not":'.repeat(levels)}{"plan":"pro"}${'}'.repeat(levels)}`;

const snapshot = () => tableRowCounts(t.db.sqlite);

async function configVersion() {
  return (await t.request('GET', '/api/v1/flags/checkout/environments/production', { as: t.admin })).json
    .version as number;
}

async function expectRefused(method: string, path: string, raw: string, field: string, status = 400) {
  const before = snapshot();
  const version = await configVersion();
  const response = await t.request(method, path, { as: t.admin, raw });
  expect(response.status, response.text.slice(0, 300)).toBe(status);
  expect(response.json.error.code).toBe('validation_failed');
  expect(response.json.error.message).toContain(field);
  expect(snapshot()).toEqual(before);
  expect(await configVersion()).toBe(version);
  return response.json.error.message as string;
}

const flagBody = (value: string) => `{"key":"deep","valueType":"json","defaultValue":${value}}`;
const putBody = (rule: string) => `{"enabled":true,"version":0,"rules":[${rule}]}`;
const segmentBody = (condition: string) =>
  `{"key":"deep","name":"Deep","kind":"condition","condition":${condition}}`;
const experimentBody = (value: string) =>
  JSON.stringify({
    key: 'deep',
    name: 'Deep',
    flag: 'checkout',
    environment: 'production',
    variations: [
      { key: 'control', value: { layout: 'old' }, weight: 0.5 },
      { key: 'treatment', value: '@VALUE@', weight: 0.5 },
    ],
  }).replace('"@VALUE@"', value);
const CONFIG = '/api/v1/flags/checkout/environments/production';

describe('JSON nested 3,000 (and 100,000) deep', () => {
  for (const levels of [3000, 100_000]) {
    it(`is a 400 naming the field on every route that stores JSON (${levels} levels)`, async () => {
      await expectRefused('POST', '/api/v1/flags', flagBody(deepObject(levels)), 'body.defaultValue');
      await expectRefused('POST', '/api/v1/flags', flagBody(deepArray(levels)), 'body.defaultValue');
      await expectRefused(
        'PATCH',
        '/api/v1/flags/checkout',
        `{"defaultValue":${deepObject(levels)}}`,
        'body.defaultValue',
      );
      await expectRefused(
        'PUT',
        CONFIG,
        putBody(`{"type":"force","value":1,"condition":${notChain(levels)}}`),
        'body.rules.0.condition',
      );
      await expectRefused(
        'PUT',
        CONFIG,
        putBody(`{"type":"force","value":${deepObject(levels)}}`),
        'body.rules.0.value',
      );
      await expectRefused('POST', '/api/v1/segments', segmentBody(notChain(levels)), 'body.condition');
      await expectRefused(
        'POST',
        '/api/v1/experiments',
        experimentBody(deepObject(levels)),
        'body.variations.1.value',
      );
      // Anything else with a JSON body is covered too: the playground's attributes.
      await expectRefused(
        'POST',
        '/api/v1/flags/checkout/evaluate',
        `{"environment":"production","attributes":{"a":${deepObject(levels)}}}`,
        'body.attributes',
      );
    });
  }

  it('counts brackets inside strings as text, and still reports malformed JSON as malformed', async () => {
    const created = await t.request('POST', '/api/v1/flags', {
      as: t.admin,
      body: {
        key: 'text',
        valueType: 'string',
        defaultValue: `"\\${'['.repeat(5000)}`,
        description: `{"a":${'['.repeat(1500)}`,
      },
    });
    expect(created.status, created.text.slice(0, 300)).toBe(201);
    const malformed = await t.request('POST', '/api/v1/flags', {
      as: t.admin,
      raw: deepArray(5000).slice(1),
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('malformed_json');
  });
});

describe('the per-field depth limit (MAX_JSON_DEPTH, default 32)', () => {
  it('accepts values and conditions 32 levels deep, refuses 33 naming the field', async () => {
    const ok = await t.request('POST', '/api/v1/flags', { as: t.admin, raw: flagBody(deepObject(32)) });
    expect(ok.status, ok.text).toBe(201);
    const message = await expectRefused(
      'PATCH',
      '/api/v1/flags/deep',
      `{"defaultValue":${deepObject(33)}}`,
      'body.defaultValue',
    );
    expect(message).toBe('body.defaultValue: nested more than 32 levels deep (objects and arrays)');
    await expectRefused(
      'PUT',
      CONFIG,
      putBody(`{"type":"force","value":1,"prerequisites":[{"flag":"deep","condition":${notChain(33)}}]}`),
      'body.rules.0.prerequisites.0.condition: nested more than 32',
    );
    await expectRefused(
      'PUT',
      CONFIG,
      putBody(
        `{"type":"experiment","experiment":"x","variations":[{"key":"a","value":1,"weight":0.5},{"key":"b","value":${deepArray(33)},"weight":0.5}]}`,
      ),
      'body.rules.0.variations.1.value: nested more than 32',
    );
    const segment = await t.request('POST', '/api/v1/segments', {
      as: t.admin,
      raw: segmentBody(notChain(31)),
    });
    expect(segment.status, segment.text).toBe(201);
  });

  it('is configurable', async () => {
    t = await makeTestApp({ MAX_JSON_DEPTH: 3, MAX_JSON_VALUE_BYTES: 200 });
    expect(
      (await t.request('POST', '/api/v1/flags', { as: t.admin, raw: flagBody(deepObject(3)) })).status,
    ).toBe(201);
    await expectRefused(
      'PATCH',
      '/api/v1/flags/deep',
      `{"defaultValue":${deepObject(4)}}`,
      'body.defaultValue',
    );
    // The body itself may nest MAX_JSON_DEPTH + 8 levels; beyond, the body check words it.
    const message = await expectRefused(
      'PATCH',
      '/api/v1/flags/deep',
      `{"defaultValue":${deepObject(20)}}`,
      'body.defaultValue.a.a.a.a.a…: nested more than 11 levels deep',
    );
    expect(message).not.toContain('a.a.a.a.a.a');
    await expectRefused(
      'PATCH',
      '/api/v1/flags/deep',
      JSON.stringify({ defaultValue: 'x'.repeat(300) }),
      'body.defaultValue: 302 bytes as JSON, more than the limit of 200',
    );
  });
});

describe('the per-field size limit (MAX_JSON_VALUE_BYTES, default 64 KiB)', () => {
  it('refuses a 900 KB flag value with a 400 naming the field; 64 KiB is fine', async () => {
    const big = 'x'.repeat(900_000);
    await expectRefused(
      'POST',
      '/api/v1/flags',
      JSON.stringify({ key: 'big', valueType: 'string', defaultValue: big }),
      'body.defaultValue: 900002 bytes as JSON, more than the limit of 65536',
    );
    await expectRefused(
      'POST',
      '/api/v1/flags',
      JSON.stringify({ key: 'big', valueType: 'json', defaultValue: { text: big } }),
      'body.defaultValue',
    );
    // UTF-8 bytes, not characters: 30,000 € signs are 90,000 bytes.
    await expectRefused(
      'POST',
      '/api/v1/flags',
      JSON.stringify({ key: 'big', valueType: 'string', defaultValue: '€'.repeat(30_000) }),
      'body.defaultValue: 90002 bytes',
    );
    const fits = await t.request('POST', '/api/v1/flags', {
      as: t.admin,
      body: { key: 'fits', valueType: 'string', defaultValue: 'x'.repeat(65_534) },
    });
    expect(fits.status).toBe(201);
  });

  it('applies to rule values, variation values and conditions alike', async () => {
    const big = 'x'.repeat(70_000);
    await expectRefused(
      'PUT',
      CONFIG,
      JSON.stringify({ enabled: true, version: 0, rules: [{ type: 'rollout', value: big, coverage: 0.5 }] }),
      'body.rules.0.value: 70002 bytes',
    );
    const message = await expectRefused(
      'PUT',
      CONFIG,
      JSON.stringify({
        enabled: true,
        version: 0,
        rules: [{ type: 'force', value: 1, condition: { email: { $in: [big] } } }],
      }),
      'body.rules.0.condition',
    );
    expect(message).toContain('use a segment of kind ids');
    await expectRefused(
      'POST',
      '/api/v1/segments',
      JSON.stringify({ key: 'big', name: 'Big', kind: 'condition', condition: { email: { $in: [big] } } }),
      'body.condition',
    );
    await expectRefused(
      'POST',
      '/api/v1/experiments',
      experimentBody(JSON.stringify(big)),
      'body.variations.1.value',
    );
  });
});

describe('the measures', () => {
  it('read depth from JSON text without parsing, skipping strings and their escapes', async () => {
    const { textNestsDeeperThan, nestsDeeperThan, tooDeepAt } = await import('../../src/json-limits.ts');
    const cases: [string, number][] = [
      ['1', 0],
      ['[]', 1],
      ['{"a":[1,{"b":{}}]}', 4],
      ['{"a":"[[[{{{"}', 1],
      ['["\\"[[[", "\\\\", [[]]]', 3],
      ['["\\\\\\"[[[", []]', 2],
      ['"unterminated [[[', 0],
    ];
    for (const [text, depth] of cases) {
      expect(textNestsDeeperThan(text, depth), text).toBe(false);
      expect(textNestsDeeperThan(text, depth - 1), text).toBe(depth > 0);
      if (!text.startsWith('"unterminated')) {
        expect(nestsDeeperThan(JSON.parse(text), depth), text).toBe(false);
        expect(nestsDeeperThan(JSON.parse(text), depth - 1), text).toBe(depth > 0);
      }
    }
    expect(tooDeepAt(JSON.parse('{"a":[1,{"b":{"c":2}}],"z":1}'), 3)).toEqual(['a', '1', 'b']);
    expect(tooDeepAt(JSON.parse('{"a":[1,{"b":{"c":2}}]}'), 4)).toBeUndefined();
  });
});
