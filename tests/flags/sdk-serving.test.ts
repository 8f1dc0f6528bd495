import { decryptPayload } from '@flagstaff/sdk/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Caller, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
let server: Caller;
let client: Caller;

beforeEach(async () => {
  t = await makeTestApp();
  server = (await t.sdkKey('server')).caller;
  client = (await t.sdkKey('client')).caller;
  await t.request('POST', '/api/v1/flags', {
    as: t.admin,
    body: { key: 'checkout', valueType: 'string', defaultValue: 'old', availableToClientKeys: true },
  });
  await t.request('POST', '/api/v1/segments', {
    as: t.admin,
    body: { key: 'beta', name: 'Beta testers', kind: 'ids', ids: ['u1', 'u2'] },
  });
  await t.request('POST', '/api/v1/segments', {
    as: t.admin,
    body: { key: 'dutch', name: 'Dutch', kind: 'condition', condition: { country: 'NL' } },
  });
  await t.request('PUT', '/api/v1/flags/checkout/environments/production', {
    as: t.admin,
    body: {
      enabled: true,
      version: 0,
      rules: [
        { id: 'betas', type: 'force', value: 'beta', segments: ['beta'] },
        { id: 'nl', type: 'force', value: 'dutch', segments: ['dutch'], condition: { plan: 'pro' } },
        {
          id: 'exp',
          type: 'experiment',
          experiment: 'checkout-test',
          variations: [
            { key: 'control', value: 'old', weight: 0.5 },
            { key: 'treatment', value: 'new', weight: 0.5 },
          ],
        },
      ],
    },
  });
});

const kill = (enabled: boolean) =>
  t.request('PATCH', '/api/v1/flags/checkout/environments/production', { as: t.admin, body: { enabled } });

describe('GET /sdk/v1/ruleset', () => {
  it('answers any origin, on success, on errors and to preflights', async () => {
    for (const [response, status] of [
      [await t.request('GET', '/sdk/v1/ruleset', { as: server }), 200],
      [await t.request('GET', '/sdk/v1/ruleset?key=fs_server_nope'), 401],
    ] as const) {
      expect(response.status).toBe(status);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-expose-headers')).toBe('ETag,Retry-After,X-Request-Id');
      expect(response.headers.get('x-request-id')).toBeTruthy();
    }
    const preflight = await t.app.request('/sdk/v1/ruleset', {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      'Authorization,Content-Type,If-None-Match,Last-Event-ID',
    );
    expect(preflight.headers.get('access-control-max-age')).toBe('86400');
  });

  it('serves the compiled payload with a strong ETag and answers 304', async () => {
    const first = await t.request('GET', '/sdk/v1/ruleset', { as: server });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
    const feature = first.json.features.checkout;
    expect(feature.defaultValue).toBe('old');
    expect(feature.rules[0]).toEqual({ id: 'betas', condition: { id: { $inGroup: 'beta' } }, force: 'beta' });
    expect(feature.rules[1]).toEqual({
      id: 'nl',
      condition: { $and: [{ plan: 'pro' }, { country: 'NL' }] },
      force: 'dutch',
    });
    expect(feature.rules[2]).toMatchObject({
      id: 'exp',
      key: 'checkout-test',
      variations: ['old', 'new'],
      weights: [0.5, 0.5],
      hashVersion: 2,
      meta: [{ key: 'control' }, { key: 'treatment' }],
    });
    expect(first.json.savedGroups).toEqual({ beta: ['u1', 'u2'] });
    expect(Date.parse(first.json.dateUpdated)).not.toBeNaN();

    const again = await t.request('GET', '/sdk/v1/ruleset', {
      as: server,
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);

    await kill(false);
    const changed = await t.request('GET', '/sdk/v1/ruleset', {
      as: server,
      headers: { 'if-none-match': etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(changed.json.features.checkout).toEqual({ defaultValue: 'old' }); // kill switch: the default value
  });

  it('leaves archived flags and other environments out', async () => {
    await t.request('POST', '/api/v1/flags', {
      as: t.admin,
      body: { key: 'gone', valueType: 'boolean', defaultValue: true },
    });
    expect(Object.keys((await t.request('GET', '/sdk/v1/ruleset', { as: server })).json.features)).toEqual([
      'checkout',
      'gone',
    ]);
    await t.request('POST', '/api/v1/flags/gone/archive', { as: t.admin });
    expect(Object.keys((await t.request('GET', '/sdk/v1/ruleset', { as: server })).json.features)).toEqual([
      'checkout',
    ]);
    const dev = (await t.sdkKey('server', 'development')).caller;
    expect((await t.request('GET', '/sdk/v1/ruleset', { as: dev })).json.features.checkout).toEqual({
      defaultValue: 'old',
    });
  });

  it('lets client keys download rules only where allowed, encrypted when the environment encrypts', async () => {
    const refused = await t.request('GET', '/sdk/v1/ruleset', { as: client });
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toContain('/sdk/v1/evaluate');
    const env = await t.request('PATCH', '/api/v1/environments/production', {
      as: t.admin,
      body: { allowClientRuleset: true, encryptRuleset: true },
    });
    const encrypted = await t.request('GET', '/sdk/v1/ruleset', { as: client });
    expect(encrypted.status).toBe(200);
    expect(encrypted.json.features).toBeUndefined();
    expect(encrypted.json.encryptedFeatures).toMatch(/^[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    const plain = await t.request('GET', '/sdk/v1/ruleset', { as: server });
    const decrypted = await decryptPayload(encrypted.json, env.json.encryptionKey);
    expect(decrypted?.features).toEqual(plain.json.features);
    expect(decrypted?.savedGroups).toEqual(plain.json.savedGroups);
  });

  it('ships a 100k-id segment once, only when a served rule uses it', async () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `user-${i}`);
    const created = await t.request('POST', '/api/v1/segments', {
      as: t.admin,
      body: { key: 'big', name: 'Big list', kind: 'ids', ids },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ idCount: 100_000 });
    expect(created.json.ids).toBeUndefined();
    expect((await t.request('GET', '/sdk/v1/ruleset', { as: server })).json.savedGroups.big).toBeUndefined();
    await t.request('POST', '/api/v1/flags', {
      as: t.admin,
      body: { key: 'vip', valueType: 'boolean', defaultValue: false },
    });
    await t.request('PUT', '/api/v1/flags/vip/environments/production', {
      as: t.admin,
      body: { enabled: true, version: 0, rules: [{ type: 'force', value: true, segments: ['big'] }] },
    });
    const ruleset = await t.request('GET', '/sdk/v1/ruleset', { as: server });
    expect(ruleset.json.savedGroups.big).toHaveLength(100_000);
    const evaluated = await t.request('POST', '/sdk/v1/evaluate', {
      as: server,
      body: { attributes: { id: 'user-99999' }, flags: ['vip'] },
    });
    expect(evaluated.json.flags.vip).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(
      (await t.request('GET', '/api/v1/segments/big?include=ids', { as: t.admin })).json.ids,
    ).toHaveLength(100_000);
  });
});

describe('GET /sdk/v1/stream', () => {
  async function openStream(headers: Record<string, string> = {}, path = '/sdk/v1/stream') {
    const response = await t.app.request(path, { headers: { ...server.headers, ...headers } });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    // A read outlives a timed-out wait, so that no chunk is lost between waits.
    let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
    async function nextEvent(timeoutMs = 2000): Promise<{ event?: string; id?: string; data?: string }> {
      const deadline = Date.now() + timeoutMs;
      while (!buffer.includes('\n\n')) {
        pending ??= reader.read();
        const chunk = await Promise.race([
          pending,
          new Promise<null>((resolve) => setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()))),
        ]);
        if (chunk === null) throw new Error('no event in time');
        pending = null;
        if (chunk.done) throw new Error('stream ended');
        buffer += decoder.decode(chunk.value);
      }
      const end = buffer.indexOf('\n\n');
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const i = line.indexOf(':');
        if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).trim();
      }
      return fields;
    }
    return { response, nextEvent, close: () => reader.cancel() };
  }

  it('sends the ruleset on connect and on every change; the kill switch arrives in one round trip', async () => {
    const stream = await openStream();
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
    const first = await stream.nextEvent();
    expect(first.event).toBe('ruleset');
    expect(JSON.parse(first.data!).features.checkout.rules).toHaveLength(3);
    await kill(false);
    const second = await stream.nextEvent();
    expect(Number(second.id)).toBeGreaterThan(Number(first.id));
    expect(JSON.parse(second.data!).features.checkout).toEqual({ defaultValue: 'old' });
    await stream.close();
  });

  it('answers a current Last-Event-ID with event: current instead of the ruleset; accepts ?key=', async () => {
    const first = await openStream();
    const { id } = await first.nextEvent();
    await first.close();
    const secret = server.headers.authorization!.slice('Bearer '.length);
    const resumed = await t.app.request(`/sdk/v1/stream?key=${secret}`, {
      headers: { 'last-event-id': id! },
    });
    expect(resumed.status).toBe(200);
    await resumed.body!.cancel();
    const withId = await openStream({ 'last-event-id': id! });
    expect(await withId.nextEvent()).toEqual({
      event: 'current',
      id,
      data: JSON.stringify({ revision: Number(id) }),
    });
    await expect(withId.nextEvent(300)).rejects.toThrow('no event in time');
    await kill(false);
    expect(Number((await withId.nextEvent()).id)).toBeGreaterThan(Number(id));
    await withId.close();
  });

  it('refuses wrong key kinds', async () => {
    expect((await t.request('GET', '/sdk/v1/stream', { as: t.admin })).status).toBe(403);
    expect((await t.request('GET', '/sdk/v1/stream?key=fs_server_nope')).status).toBe(401);
    expect((await t.request('GET', '/sdk/v1/stream', { as: client })).status).toBe(403); // client rulesets not allowed here
  });
});

describe('POST /sdk/v1/evaluate and the playground', () => {
  it('evaluates for a client key without revealing rules, with exposure data', async () => {
    const response = await t.request('POST', '/sdk/v1/evaluate', {
      as: client,
      body: { attributes: { id: 'someone', country: 'NL', plan: 'pro' } },
    });
    expect(response.status).toBe(200);
    expect(response.json.flags.checkout).toMatchObject({
      value: 'dutch',
      reason: 'TARGETING_MATCH',
      ruleId: 'nl',
    });
    const splits = await t.request('POST', '/sdk/v1/evaluate', {
      as: client,
      body: { attributes: { id: 'someone-else' } },
    });
    const result = splits.json.flags.checkout;
    expect(result.reason).toBe('SPLIT');
    expect(result.exposure).toMatchObject({
      flag: 'checkout',
      experiment: 'checkout-test',
      hashAttribute: 'id',
      unit: 'someone-else',
      variation: result.variationKey,
    });
    expect(JSON.stringify(splits.json)).not.toContain('$inGroup');
  });

  it('traces every rule in the playground', async () => {
    const play = (attributes: Record<string, unknown>, environment = 'production') =>
      t.request('POST', '/api/v1/flags/checkout/evaluate', {
        as: t.admin,
        body: { environment, attributes },
      });
    const dutch = await play({ id: 'x', country: 'NL', plan: 'pro' });
    expect(dutch.json).toMatchObject({ value: 'dutch', reason: 'TARGETING_MATCH', ruleId: 'nl' });
    expect(dutch.json.trace.map((r: { outcome: string }) => r.outcome)).toEqual([
      'condition_not_met',
      'matched',
      'not_reached',
    ]);
    const beta = await play({ id: 'u2' });
    expect(beta.json.trace.map((r: { outcome: string }) => r.outcome)).toEqual([
      'matched',
      'not_reached',
      'not_reached',
    ]);
    const nobody = await play({});
    expect(nobody.json.trace.map((r: { outcome: string }) => r.outcome)).toEqual([
      'condition_not_met',
      'condition_not_met',
      'not_in_rollout',
    ]);
    expect(nobody.json.value).toBe('old');
    const off = await play({ id: 'u2' }, 'development');
    expect(off.json).toMatchObject({ value: 'old', reason: 'DISABLED', trace: [] });
  });
});

describe('segments', () => {
  it('refuses to delete a segment in use and validates condition segments', async () => {
    const refused = await t.request('DELETE', '/api/v1/segments/beta', { as: t.admin });
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain('checkout');
    const bad = await t.request('POST', '/api/v1/segments', {
      as: t.admin,
      body: { key: 'bad', name: 'Bad', kind: 'condition', condition: { email: { $regex: '(' } } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('body.condition.email.$regex');
    await t.request('POST', '/api/v1/segments', {
      as: t.admin,
      body: { key: 'unused', name: 'Unused', kind: 'ids', ids: ['a'] },
    });
    expect((await t.request('DELETE', '/api/v1/segments/unused', { as: t.admin })).status).toBe(204);
  });

  it('pushes a segment change into the rulesets that use it', async () => {
    const before = await t.request('GET', '/sdk/v1/ruleset', { as: server });
    await t.request('PUT', '/api/v1/segments/beta', {
      as: t.admin,
      body: { name: 'Beta testers', kind: 'ids', ids: ['u3'] },
    });
    const after = await t.request('GET', '/sdk/v1/ruleset', {
      as: server,
      headers: { 'if-none-match': before.headers.get('etag')! },
    });
    expect(after.status).toBe(200);
    expect(after.json.savedGroups.beta).toEqual(['u3']);
  });
});

describe('reasons from the payload', () => {
  it('an enabled flag without rules is DEFAULT, a switched-off flag DISABLED', async () => {
    await t.request('POST', '/api/v1/flags', {
      as: t.admin,
      body: { key: 'plain', valueType: 'boolean', defaultValue: true },
    });
    await t.request('PUT', '/api/v1/flags/plain/environments/production', {
      as: t.admin,
      body: { enabled: true, version: 0, rules: [] },
    });
    const ruleset = await t.request('GET', '/sdk/v1/ruleset', { as: server });
    expect(ruleset.json.features.plain).toEqual({ defaultValue: true, rules: [] });
    const evaluate = async () =>
      (await t.request('POST', '/sdk/v1/evaluate', { as: server, body: { flags: ['plain'] } })).json.flags
        .plain;
    expect(await evaluate()).toMatchObject({ value: true, reason: 'DEFAULT' });
    await t.request('PATCH', '/api/v1/flags/plain/environments/production', {
      as: t.admin,
      body: { enabled: false },
    });
    expect(await evaluate()).toMatchObject({ value: true, reason: 'DISABLED' });
  });
});
