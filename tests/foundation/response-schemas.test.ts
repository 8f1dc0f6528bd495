// The OpenAPI document promises a response shape for every route and status; teams generate typed
// clients from it. A walk through the README's tour (flags, segments, keys, SDK ruleset and events,
// metrics, an experiment with results, the analyze endpoint, errors) checks every JSON answer
// against the schema the document gives for its route and status, with an independent JSON Schema
// validator (Ajv, draft 2020-12 as OpenAPI 3.1 uses).
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { beforeAll, expect, it } from 'vitest';
import { makeTestApp, type Caller, type TestApp } from '../helpers/test-app.ts';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}

let t: TestApp;
let operations: { method: string; pattern: RegExp; template: string; op: Operation }[];
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv); // date-time, email, uri… are checked too, not ignored
const validators = new Map<string, ValidateFunction>();
const checked: string[] = [];

beforeAll(async () => {
  t = await makeTestApp();
  const doc = (await t.request('GET', '/api/openapi.json')).json;
  // `#/components/...` references resolve inside one root schema holding the components.
  ajv.addSchema({ $id: 'flagstaff-openapi', components: doc.components });
  operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(
    ([template, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        op,
      })),
  );
});

/** Calls the route and checks its JSON answer against the document's schema for that status. */
async function call(method: string, url: string, options: { as?: Caller; body?: unknown } = {}) {
  const response = await t.request(method, url, options);
  const path = url.split('?')[0]!;
  const route = operations.find((o) => o.method === method && o.pattern.test(path));
  expect(route, `${method} ${path} is documented`).toBeDefined();
  const documented = route!.op.responses[String(response.status)] ?? route!.op.responses.default;
  const schema = documented?.content?.['application/json']?.schema;
  expect(schema, `${method} ${route!.template} documents a JSON ${response.status}`).toBeDefined();
  const key = `${method} ${route!.template} ${response.status}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(rebase(schema!));
    validators.set(key, validate);
  }
  const valid = validate(response.json);
  expect(valid, `${key}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
  checked.push(key);
  return response;
}

/** The schema with its `#/components/...` references pointed at the root that holds them. */
function rebase(schema: object): object {
  return JSON.parse(
    JSON.stringify(schema).replace(/"\$ref":"#\/components\//g, '"$ref":"flagstaff-openapi#/components/'),
  );
}

it('answers match the documented response schemas along the README tour', async () => {
  const admin = t.admin;
  await call('GET', '/api/v1/environments', { as: admin });
  await call('POST', '/api/v1/environments', { as: admin, body: { key: 'staging', name: 'Staging' } });
  const key = await call('POST', '/api/v1/keys', {
    as: admin,
    body: { kind: 'server', environment: 'production', name: 'backend' },
  });
  const server: Caller = { headers: { authorization: `Bearer ${key.json.key}` } };
  await call('GET', '/api/v1/keys', { as: admin });
  await call('POST', '/api/v1/keys', { as: admin, body: { kind: 'robot' } }); // 400
  await call('POST', '/api/v1/users', {
    as: admin,
    body: { email: 'pm@example.com', password: 'a long passphrase', role: 'viewer' },
  });
  await call('POST', '/api/v1/flags', {
    as: admin,
    body: { key: 'checkout-banner', valueType: 'string', defaultValue: 'none', tags: ['checkout'] },
  });
  await call('POST', '/api/v1/segments', {
    as: admin,
    body: { key: 'beta-testers', name: 'Beta testers', kind: 'ids', ids: ['user-1', 'user-2'] },
  });
  await call('PUT', '/api/v1/flags/checkout-banner/environments/production', {
    as: admin,
    body: {
      enabled: true,
      version: 0,
      rules: [
        { type: 'force', value: 'beta', segments: ['beta-testers'] },
        { type: 'force', value: 'eu', condition: { country: { $in: ['NL', 'BE', 'DE'] } } },
        { type: 'rollout', value: 'new', coverage: 0.25, hashAttribute: 'id' },
      ],
    },
  });
  await call('POST', '/api/v1/flags/checkout-banner/evaluate', {
    as: admin,
    body: { environment: 'production', attributes: { id: 'user-7', country: 'NL' } },
  });
  await call('PATCH', '/api/v1/flags/checkout-banner/environments/production', {
    as: admin,
    body: { enabled: false },
  });
  const reorder = await call('PATCH', '/api/v1/flags/checkout-banner/environments/production', {
    as: admin,
    body: { ruleEnabled: { nope: false } },
  });
  expect(reorder.status).toBe(428);
  await call('GET', '/api/v1/flags', { as: admin });
  await call('GET', '/api/v1/flags/checkout-banner', { as: admin });
  await call('GET', '/api/v1/flags/nope', { as: admin }); // 404
  await call('GET', '/api/v1/segments', { as: admin });
  await call('GET', '/sdk/v1/ruleset', { as: server });
  await call('POST', '/sdk/v1/evaluate', { as: server, body: { attributes: { id: 'user-7' } } });

  await call('POST', '/api/v1/flags', {
    as: admin,
    body: { key: 'new-checkout', valueType: 'boolean', defaultValue: false },
  });
  await call('POST', '/api/v1/metrics', {
    as: admin,
    body: { key: 'purchase', name: 'Purchase', kind: 'binomial', eventName: 'purchase', windowHours: 72 },
  });
  await call('GET', '/api/v1/metrics', { as: admin });
  await call('POST', '/api/v1/experiments', {
    as: admin,
    body: {
      key: 'new-checkout',
      name: 'One-page checkout',
      flag: 'new-checkout',
      environment: 'production',
      variations: [
        { key: 'control', value: false, weight: 0.5 },
        { key: 'treatment', value: true, weight: 0.5 },
      ],
      goalMetrics: ['purchase'],
      settings: { engine: 'frequentist', sequential: true },
      plan: { minimumDetectableEffect: 0.2, expectedUnitsPerDay: 1000 },
    },
  });
  await call('POST', '/api/v1/experiments/new-checkout/start', { as: admin });
  const now = Date.now();
  const events = Array.from({ length: 200 }, (_, i) => [
    {
      type: 'exposure',
      id: `e-${i}`,
      ts: now,
      unit: `u${i}`,
      experiment: 'new-checkout',
      variation: i % 2 ? 'treatment' : 'control',
      attributes: { country: i % 3 ? 'US' : 'NL' },
    },
    ...(i % 3 === 0
      ? [{ type: 'track', id: `t-${i}`, ts: now, unit: `u${i}`, event: 'purchase', value: 10 }]
      : []),
  ]).flat();
  await call('POST', '/sdk/v1/events', { as: server, body: { events } });
  await call('GET', '/api/v1/experiments/new-checkout/results', { as: admin });
  await call('POST', '/api/v1/experiments/new-checkout/results/refresh', { as: admin });
  await call('PATCH', '/api/v1/experiments/new-checkout', {
    as: admin,
    body: {
      variations: [
        { key: 'control', value: false, weight: 0.2 },
        { key: 'treatment', value: true, weight: 0.8 },
      ],
    },
  });
  await call('GET', '/api/v1/experiments', { as: admin });
  await call('POST', '/api/v1/experiments/new-checkout/ship', {
    as: admin,
    body: { variation: 'treatment' },
  });
  await call('POST', '/api/v1/analyze', {
    as: admin,
    body: {
      metric: { kind: 'binomial', direction: 'higher' },
      variations: [
        { key: 'control', weight: 1, n: 2000, sum: 187, sumSquares: 187 },
        { key: 'treatment', weight: 1, n: 2000, sum: 242, sumSquares: 242 },
      ],
      settings: { engine: 'bayesian' },
    },
  });
  await call('GET', '/api/v1/audit?limit=5', { as: admin });
  expect(new Set(checked).size).toBeGreaterThanOrEqual(30);
});
