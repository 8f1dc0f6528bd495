// Issue 13, point 1 (ReDoS): an editor saved `^(a+)+$`, and one client key's /sdk/v1/evaluate with
// a 32-character attribute held the process for 7.7 s (/health with it). The server now matches
// regexes in linear time, refuses patterns it cannot run so when they are saved, never matches them
// should older data hold one, and refuses attributes longer than MAX_ATTRIBUTE_LENGTH.
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Caller, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
let server: ServerType | undefined;

afterEach(async () => {
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

/** An app where an editor saved `pattern` on flag `redos` (true when `name` matches). */
async function withPattern(pattern: string, config: Parameters<typeof makeTestApp>[0] = {}) {
  t = await makeTestApp(config);
  const editor = await t.signIn('editor');
  const client = (await t.sdkKey('client')).caller;
  await t.request('POST', '/api/v1/flags', {
    as: editor,
    body: { key: 'redos', valueType: 'boolean', defaultValue: false, availableToClientKeys: true },
  });
  const saved = await t.request('PUT', '/api/v1/flags/redos/environments/production', {
    as: editor,
    body: {
      enabled: true,
      version: 0,
      rules: [{ id: 'r', type: 'force', value: true, condition: { name: { $regex: pattern } } }],
    },
  });
  return { editor, client, saved };
}

const evaluate = (client: Caller, name: string) =>
  t.request('POST', '/sdk/v1/evaluate', { as: client, body: { attributes: { name }, flags: ['redos'] } });

describe('the issue’s request', () => {
  it('answers at once, and /health answers meanwhile, on a real server', async () => {
    const { client, saved } = await withPattern('^(a+)+$');
    expect(saved.status).toBe(200); // RE2 runs it in linear time: nothing to refuse
    await new Promise<void>((resolve) => {
      server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    const base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
    const started = performance.now();
    const answer = fetch(`${base}/sdk/v1/evaluate`, {
      method: 'POST',
      headers: { ...client.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ attributes: { name: 'a'.repeat(31) + '!' }, flags: ['redos'] }),
    });
    const health = await fetch(`${base}/health`);
    const healthMs = performance.now() - started;
    const evaluated = await answer;
    // Generous bounds: the backtracking engine took ~7 s for this attribute, 2x more per 'a'.
    expect(health.status).toBe(200);
    expect(healthMs).toBeLessThan(2000);
    expect(evaluated.status).toBe(200);
    expect((await evaluated.json()).flags.redos).toMatchObject({ value: false, reason: 'DEFAULT' });
  });

  it('stays linear: a 100,000-character attribute answers in well under a few seconds', async () => {
    const { client } = await withPattern('^(a+)+$', { MAX_ATTRIBUTE_LENGTH: 200_000 });
    const started = performance.now();
    const miss = await evaluate(client, 'a'.repeat(100_000) + '!');
    const hit = await evaluate(client, 'a'.repeat(100_000));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(miss.json.flags.redos).toMatchObject({ value: false, reason: 'DEFAULT' });
    expect(hit.json.flags.redos).toMatchObject({ value: true, ruleId: 'r' });
  });

  it('matches what SDKs match', async () => {
    const { client } = await withPattern('^(a+)+$');
    expect((await evaluate(client, 'aaa')).json.flags.redos.value).toBe(true);
    expect((await evaluate(client, 'aab')).json.flags.redos.value).toBe(false);
  });
});

describe('patterns the server cannot run in linear time', () => {
  it('are refused when a rule is saved, with a 400 naming the field', async () => {
    const { saved } = await withPattern('^(a+)\\1$');
    expect(saved.status).toBe(400);
    expect(saved.json.error.message).toMatch(/^body\.rules\.0\.condition\.name\.\$regex: backreferences/);
    for (const pattern of ['^(?=a)', '(?<!a)b', '\\p{L}']) {
      const again = await t.request('PUT', '/api/v1/flags/redos/environments/production', {
        as: t.admin,
        body: {
          enabled: true,
          version: 0,
          rules: [{ type: 'force', value: true, condition: { name: { $regex: pattern } } }],
        },
      });
      expect(again.status, pattern).toBe(400);
      expect(again.json.error.message, pattern).toContain('body.rules.0.condition.name.$regex');
    }
  });

  it('are refused in segments and prerequisites too', async () => {
    const { editor } = await withPattern('^ok$');
    const segment = await t.request('POST', '/api/v1/segments', {
      as: editor,
      body: { key: 'sg', name: 'Sg', kind: 'condition', condition: { email: { $regex: '(.)\\1' } } },
    });
    expect(segment.status).toBe(400);
    expect(segment.json.error.message).toMatch(/^body\.condition\.email\.\$regex: backreferences/);
    const prerequisite = await t.request('PUT', '/api/v1/flags/redos/environments/production', {
      as: editor,
      body: {
        enabled: true,
        version: 1,
        rules: [
          {
            type: 'force',
            value: true,
            prerequisites: [{ flag: 'redos', condition: { value: { $regex: '(?=x)' } } }],
          },
        ],
      },
    });
    expect(prerequisite.status).toBe(400);
    expect(prerequisite.json.error.message).toContain('body.rules.0.prerequisites.0.condition.value.$regex');
  });

  it('never match, and never fail the request, when older data holds one', async () => {
    const { client } = await withPattern('^aa$');
    const flag = (await t.services.stores.flags.byKey('redos'))!;
    const [row] = await t.services.stores.flags.configs(flag.id);
    const rules = JSON.parse(JSON.stringify(row!.rules).replace('^aa$', '^(a)\\\\1$'));
    await t.services.stores.flags.upsertConfig({ ...row!, rules, version: row!.version + 1 });
    t.services.changes.publish([row!.environmentId]);
    const answer = await evaluate(client, 'aa');
    expect(answer.status).toBe(200);
    expect(answer.json.flags.redos).toMatchObject({ value: false, reason: 'DEFAULT' });
    const playground = await t.request('POST', '/api/v1/flags/redos/evaluate', {
      as: t.admin,
      body: { environment: 'production', attributes: { name: 'aa' } },
    });
    expect(playground.status).toBe(200);
    expect(playground.json.trace).toEqual([{ ruleId: 'r', type: 'force', outcome: 'condition_not_met' }]);
  });
});

describe('MAX_ATTRIBUTE_LENGTH', () => {
  it('refuses a longer string attribute with a 400 naming it, on /sdk/v1/evaluate and the playground', async () => {
    const { client } = await withPattern('^(a+)+$', { MAX_ATTRIBUTE_LENGTH: 64 });
    expect((await evaluate(client, 'a'.repeat(64))).status).toBe(200);
    const long = await evaluate(client, 'a'.repeat(65));
    expect(long.status).toBe(400);
    expect(long.json.error.message).toBe('body.attributes.name: 65 characters; at most 64 are evaluated');
    const nested = await t.request('POST', '/sdk/v1/evaluate', {
      as: client,
      body: { attributes: { tags: ['ok', 'b'.repeat(100)] } },
    });
    expect(nested.status).toBe(400);
    expect(nested.json.error.message).toMatch(/^body\.attributes\.tags\.1: /);
    const playground = await t.request('POST', '/api/v1/flags/redos/evaluate', {
      as: t.admin,
      body: { environment: 'production', attributes: { name: 'a'.repeat(65) } },
    });
    expect(playground.status).toBe(400);
    expect(playground.json.error.message).toMatch(/^body\.attributes\.name: /);
  });

  it('defaults to 4096 characters', async () => {
    const { client } = await withPattern('^(a+)+$');
    expect((await evaluate(client, 'a'.repeat(4096))).json.flags.redos.value).toBe(true);
    expect((await evaluate(client, 'a'.repeat(4097))).status).toBe(400);
  });
});
