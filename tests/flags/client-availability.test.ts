// Issue 13, point 3: client keys evaluated every flag with attributes of their choosing (listing all
// flags, probing whether an email is in a targeting list). Flags are now served to client keys only
// when available to them: per flag (availableToClientKeys), else as the environment's
// defaultAvailableToClientKeys says, which is off.
import { decryptPayload } from '@flagstaff/sdk/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Caller, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
let server: Caller;
let client: Caller;

const flag = (key: string, availableToClientKeys?: boolean | null) =>
  t.request('POST', '/api/v1/flags', {
    as: t.admin,
    body: { key, valueType: 'string', defaultValue: 'off', availableToClientKeys },
  });

const target = (key: string, rule: Record<string, unknown>) =>
  t.request('PUT', `/api/v1/flags/${key}/environments/production`, {
    as: t.admin,
    body: { enabled: true, version: 0, rules: [{ id: 'r', type: 'force', value: 'on', ...rule }] },
  });

const environment = (body: Record<string, unknown>) =>
  t.request('PATCH', '/api/v1/environments/production', { as: t.admin, body });

const evaluate = (as: Caller, body: Record<string, unknown> = {}) =>
  t.request('POST', '/sdk/v1/evaluate', { as, body: { attributes: { email: 'ceo@rival.com' }, ...body } });

const rulesetKeys = async (as: Caller) =>
  Object.keys((await t.request('GET', '/sdk/v1/ruleset', { as })).json.features ?? {}).sort();

beforeEach(async () => {
  t = await makeTestApp();
  server = (await t.sdkKey('server')).caller;
  client = (await t.sdkKey('client')).caller;
  await t.request('POST', '/api/v1/segments', {
    as: t.admin,
    body: {
      key: 'acquisition-targets',
      name: 'Takeover list',
      kind: 'ids',
      attribute: 'email',
      ids: ['ceo@rival.com'],
    },
  });
  await flag('secret-launch'); // unsaid: off by the environment's default
  await target('secret-launch', { segments: ['acquisition-targets'] });
  await flag('public-banner', true);
  await target('public-banner', { condition: { country: 'NL' } });
});

describe('flags available to client keys', () => {
  it('new flags are not, unless they say so; the flag shows what it says', async () => {
    const created = await flag('plain');
    expect(created.status).toBe(201);
    expect(created.json.availableToClientKeys).toBeNull();
    expect((await t.request('GET', '/api/v1/flags/public-banner', { as: t.admin })).json).toMatchObject({
      availableToClientKeys: true,
    });
    const env = await t.request('GET', '/api/v1/environments', { as: t.admin });
    for (const e of env.json.items) expect(e.defaultAvailableToClientKeys).toBe(false);
  });

  it("a client key's remote evaluation holds only them; others read as not found", async () => {
    const all = await evaluate(client);
    expect(all.status).toBe(200);
    expect(Object.keys(all.json.flags)).toEqual(['public-banner']);
    // Probing a hidden flag by name tells nothing: the same answer as a flag that does not exist.
    const probe = await evaluate(client, { flags: ['secret-launch', 'no-such-flag'] });
    expect(probe.json.flags['secret-launch']).toEqual(probe.json.flags['no-such-flag']);
    expect(probe.json.flags['secret-launch']).toMatchObject({ value: null, reason: 'FLAG_NOT_FOUND' });
    // Server keys evaluate every flag.
    const byServer = await evaluate(server);
    expect(byServer.json.flags['secret-launch']).toMatchObject({ value: 'on', reason: 'TARGETING_MATCH' });
  });

  it("a client key's ruleset holds only them, plain or encrypted, without the id lists of the others", async () => {
    await environment({ allowClientRuleset: true });
    const plain = await t.request('GET', '/sdk/v1/ruleset', { as: client });
    expect(Object.keys(plain.json.features)).toEqual(['public-banner']);
    expect(plain.json.savedGroups).toBeUndefined();
    expect(plain.text).not.toContain('rival.com');
    expect(await rulesetKeys(server)).toEqual(['public-banner', 'secret-launch']);
    const env = await environment({ encryptRuleset: true });
    const encrypted = await t.request('GET', '/sdk/v1/ruleset', { as: client });
    const decrypted = await decryptPayload(encrypted.json, env.json.encryptionKey);
    expect(Object.keys(decrypted!.features!)).toEqual(['public-banner']);
    expect(decrypted!.savedGroups).toBeUndefined();
  });

  it("follow the environment's default when unsaid; an explicit false stays hidden", async () => {
    await flag('opted-out', false);
    await environment({ allowClientRuleset: true });
    const revision = (await environment({ defaultAvailableToClientKeys: true })).json.revision;
    expect(revision).toBeGreaterThan(1);
    expect(await rulesetKeys(client)).toEqual(['public-banner', 'secret-launch']);
    expect(Object.keys((await evaluate(client)).json.flags).sort()).toEqual([
      'public-banner',
      'secret-launch',
    ]);
    // Other environments keep their own default.
    const dev = (await t.sdkKey('client', 'development')).caller;
    expect(Object.keys((await evaluate(dev)).json.flags)).toEqual(['public-banner']);
  });

  it('changes with the flag: PATCH availableToClientKeys (null for the default), audited', async () => {
    await environment({ allowClientRuleset: true });
    const before = (await t.request('GET', '/sdk/v1/ruleset', { as: client })).headers.get('etag');
    const patched = await t.request('PATCH', '/api/v1/flags/secret-launch', {
      as: t.admin,
      body: { availableToClientKeys: true },
    });
    expect(patched.json.availableToClientKeys).toBe(true);
    const after = await t.request('GET', '/sdk/v1/ruleset', { as: client });
    expect(after.headers.get('etag')).not.toBe(before);
    expect(Object.keys(after.json.features).sort()).toEqual(['public-banner', 'secret-launch']);
    expect(after.json.savedGroups).toEqual({ 'acquisition-targets': ['ceo@rival.com'] });
    await t.request('PATCH', '/api/v1/flags/secret-launch', {
      as: t.admin,
      body: { availableToClientKeys: null },
    });
    expect(await rulesetKeys(client)).toEqual(['public-banner']);
    const audit = await t.request('GET', '/api/v1/audit?action=flag.update', { as: t.admin });
    expect(audit.json.items[0].after.availableToClientKeys).toBeNull();
    expect(audit.json.items[1].after.availableToClientKeys).toBe(true);
  });

  it('streams to client keys only their flags, and a flag made available arrives as a patch', async () => {
    await environment({ allowClientRuleset: true });
    const { secret } = await t.sdkKey('client');
    const response = await t.app.request(`/sdk/v1/stream?key=${secret}&patches=1`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    const nextEvent = async () => {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (block.startsWith('id: ')) {
            const [, type, data] = block.split('\n');
            return { type: type!.slice('event: '.length), data: JSON.parse(data!.slice('data: '.length)) };
          }
          continue;
        }
        const { value } = await reader.read();
        buffered += decoder.decode(value);
      }
    };
    const first = await nextEvent();
    expect(first.type).toBe('ruleset');
    expect(Object.keys(first.data.features)).toEqual(['public-banner']);
    // A change to a hidden flag tells client streams nothing about it.
    await t.request('PATCH', '/api/v1/flags/secret-launch/environments/production', {
      as: t.admin,
      body: { enabled: false },
    });
    const hidden = await nextEvent();
    expect(hidden).toMatchObject({ type: 'patch', data: { features: {} } });
    await t.request('PATCH', '/api/v1/flags/secret-launch', {
      as: t.admin,
      body: { availableToClientKeys: true },
    });
    const shown = await nextEvent();
    expect(shown.type).toBe('patch');
    expect(Object.keys(shown.data.features)).toEqual(['secret-launch']);
    await reader.cancel();
  });

  it('remote evaluation honours a prerequisite that client keys do not get', async () => {
    await flag('gated', true);
    await t.request('PUT', '/api/v1/flags/gated/environments/production', {
      as: t.admin,
      body: {
        enabled: true,
        version: 0,
        rules: [
          {
            id: 'g',
            type: 'force',
            value: 'on',
            prerequisites: [{ flag: 'secret-launch', condition: { value: 'on' } }],
          },
        ],
      },
    });
    const result = await evaluate(client);
    expect(result.json.flags.gated).toMatchObject({ value: 'on', ruleId: 'g' });
    expect(result.json.flags['secret-launch']).toBeUndefined();
  });
});
