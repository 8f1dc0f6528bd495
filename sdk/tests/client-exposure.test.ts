import { createCipheriv, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createClient,
  decryptPayload,
  type ClientOptions,
  type Exposure,
  type FeaturePayload,
  type FlagstaffClient,
} from '@flagstaff/sdk';
import { InMemoryStickyBucketService } from '@flagstaff/sdk/core';
import { startTestServer, waitFor, type TestServer } from './client-test-server.js';

const silent = { warn: () => {}, error: () => {} };

const experiment = (weights = [0.5, 0.5]) => ({
  id: 'rule-exp',
  key: 'checkout-exp',
  variations: [false, true],
  weights,
  hashAttribute: 'id',
  hashVersion: 2,
  seed: 'checkout-exp',
  meta: [{ key: 'control' }, { key: 'treatment' }],
});
const payload = (weights?: number[]): FeaturePayload => ({
  features: {
    checkout: { defaultValue: false, rules: [experiment(weights)] },
    banner: {
      defaultValue: 'none',
      rules: [{ id: 'rule-nl', condition: { country: 'NL' }, force: 'oranje' }],
    },
    limit: { defaultValue: 10, rules: [] },
  },
});

let servers: TestServer[] = [];
let clients: FlagstaffClient[] = [];
const setup = async (options: Partial<ClientOptions> = {}, initial: unknown = payload()) => {
  const s = await startTestServer(initial);
  servers.push(s);
  const c = createClient({
    apiHost: s.url,
    sdkKey: s.sdkKey,
    logger: silent,
    cache: false,
    streaming: false,
    pollIntervalMs: 0,
    flushIntervalMs: 10_000,
    ...options,
  });
  clients.push(c);
  await c.ready();
  return { s, c };
};

// A client with no server to reach: it serves its bootstrap only.
const offline = (options: Partial<ClientOptions>) => {
  const c = createClient({
    apiHost: 'http://127.0.0.1:9',
    sdkKey: 'k',
    logger: silent,
    cache: false,
    streaming: false,
    pollIntervalMs: 0,
    ...options,
  });
  clients.push(c);
  return c;
};

// The features of payload() (or others), AES-CBC encrypted as the service serves them.
const encryptedPayload = (features: FeaturePayload['features'] = payload().features) => {
  const key = randomBytes(16);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  const text = Buffer.concat([cipher.update(JSON.stringify(features)), cipher.final()]);
  const encrypted = { encryptedFeatures: `${iv.toString('base64')}.${text.toString('base64')}` };
  return { encrypted, decryptionKey: key.toString('base64') };
};

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close({ timeoutMs: 100 })));
  await Promise.all(servers.map((s) => s.close().catch(() => {})));
  clients = [];
  servers = [];
});

describe('client: evaluation', () => {
  it('types getValue by its fallback and falls back on a type mismatch', async () => {
    const { c } = await setup({ attributes: { id: 'u1', country: 'NL' } });
    const banner: string = c.getValue('banner', 'default');
    const limit: number = c.getValue('limit', 5);
    expect(banner).toBe('oranje');
    expect(limit).toBe(10);
    expect(c.getValue('limit', 'five')).toBe('five');
    expect(c.evaluate('limit', 'five')).toMatchObject({
      value: 'five',
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
    });
    expect(c.evaluate('missing', 1)).toMatchObject({
      value: 1,
      reason: 'FLAG_NOT_FOUND',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(c.evaluate('banner')).toMatchObject({
      value: 'oranje',
      reason: 'TARGETING_MATCH',
      ruleId: 'rule-nl',
    });
  });

  it('keeps forUser evaluators independent of each other and of setAttributes', async () => {
    const { c } = await setup({ attributes: { id: 'me', country: 'NL' } });
    const nl = c.forUser({ id: 'a', country: 'NL' });
    const de = c.forUser({ id: 'b', country: 'DE' });
    c.setAttributes({ id: 'me', country: 'FR' });
    expect(nl.getValue('banner', '')).toBe('oranje');
    expect(de.getValue('banner', '')).toBe('none');
    expect(c.getValue('banner', '')).toBe('none');
  });

  it('compiles each ruleset once, not per evaluation, and reports a bad part once through the logger', async () => {
    const warn = vi.fn();
    const bad = (force: string) => ({
      features: { f: { defaultValue: 'd', rules: [{ condition: { email: { $regex: '([' } }, force }] } },
    });
    const c = offline({ bootstrap: bad('x'), logger: { warn, error: () => {} }, attributes: { email: 'a' } });
    for (let i = 0; i < 100; i++) {
      expect(c.getValue('f', '')).toBe('d');
      expect(c.forUser({ email: `${i}` }).getValue('f', '')).toBe('d');
    }
    const reports = () => warn.mock.calls.filter(([message]) => /\$regex/.test(String(message)));
    expect(reports()).toHaveLength(1);
    expect(reports()[0][0]).toMatch(/features\.f\.rules\[0\]/);
  });

  it('hands out the payload in use, e.g. to bootstrap a browser client', async () => {
    const { c } = await setup();
    const browser = offline({ bootstrap: c.getPayload(), attributes: { country: 'NL' } });
    expect(browser.getValue('banner', '')).toBe('oranje');
  });

  it('serves forced values with reason OVERRIDE', async () => {
    const { c } = await setup({ forcedValues: { limit: 99 } });
    expect(c.evaluate('limit', 0)).toMatchObject({ value: 99, reason: 'OVERRIDE' });
  });

  it('decrypts encrypted payloads with the decryptionKey', async () => {
    const { encrypted, decryptionKey } = encryptedPayload();
    const { c } = await setup({ decryptionKey, attributes: { country: 'NL' } }, encrypted);
    expect(c.getValue('banner', '')).toBe('oranje');

    const { c: wrong } = await setup({ decryptionKey: randomBytes(16).toString('base64') }, encrypted);
    expect(wrong.stats().source).toBe('none');
    expect(wrong.getValue('banner', 'fallback')).toBe('fallback');
  });

  it('decrypts an encrypted bootstrap, and caches encrypted payloads as served', async () => {
    const { encrypted, decryptionKey } = encryptedPayload();
    const store = new Map<string, string>();
    const cache = { get: (k: string) => store.get(k), set: (k: string, v: string) => void store.set(k, v) };
    const { c } = await setup({ decryptionKey, cache, attributes: { country: 'NL' } }, encrypted);
    expect(c.getValue('banner', '')).toBe('oranje');
    const cached = await waitFor(() => [...store.values()][0], 2000, 'cache write');
    expect(JSON.parse(cached)).toEqual(encrypted); // no plain rules at rest

    const fromBootstrap = offline({ decryptionKey, bootstrap: encrypted, attributes: { country: 'NL' } });
    expect((await fromBootstrap.ready({ timeoutMs: 3000 })).source).toBe('bootstrap');
    expect(fromBootstrap.getValue('banner', '')).toBe('oranje');
  });

  it('never lets a payload that was still being decrypted replace a newer one', async () => {
    // The cache holds an older, encrypted ruleset; the network answers with a plain one before
    // the cached one is decrypted.
    const { encrypted, decryptionKey } = encryptedPayload({ limit: { defaultValue: 1, rules: [] } });
    const { c } = await setup({
      decryptionKey,
      decrypt: async (p, k) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return decryptPayload(p, k);
      },
      cache: { get: () => JSON.stringify(encrypted), set: () => {} },
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(c.getValue('limit', 0)).toBe(10);
    expect(c.stats().source).toBe('network');
  });
});

describe('client: exposures', () => {
  it('logs one exposure per (unit, experiment, variation), with the variation and rule', async () => {
    const seen: Exposure[] = [];
    const { s, c } = await setup({ onExposure: (e) => seen.push(e) });
    const users = Array.from({ length: 40 }, (_, i) => c.forUser({ id: `user-${i}` }));
    for (let round = 0; round < 3; round++) for (const user of users) user.isOn('checkout');
    const details = users[0].evaluate('checkout');
    expect(details).toMatchObject({ reason: 'SPLIT', ruleId: 'rule-exp' });
    expect(['control', 'treatment']).toContain(details.variationKey);
    await c.flush();
    expect(s.events).toHaveLength(40);
    expect(seen).toHaveLength(40);
    const first = s.events.find((e) => e.unit === 'user-0')!;
    expect(first).toMatchObject({
      type: 'exposure',
      experiment: 'checkout-exp',
      variation: details.variationKey,
      flag: 'checkout',
    });
    expect(typeof first.id).toBe('string');
    expect(typeof first.ts).toBe('number');
    const variations = new Set(s.events.map((e) => e.variation));
    expect(variations).toEqual(new Set(['control', 'treatment']));
  });

  it("logs the exposures of a prerequisite's experiment too", async () => {
    const gated = {
      features: {
        ...payload().features,
        // Shown only to the treatment of checkout's experiment: evaluating it puts a unit there.
        upsell: {
          defaultValue: 'none',
          rules: [{ parentConditions: [{ id: 'checkout', condition: { value: true } }], force: 'on' }],
        },
      },
    };
    const { s, c } = await setup({}, gated);
    for (let i = 0; i < 20; i++) c.forUser({ id: `user-${i}` }).getValue('upsell', 'none');
    await c.flush();
    expect(s.events).toHaveLength(20);
    expect(new Set(s.events.map((e) => `${e.experiment}/${e.flag}`))).toEqual(
      new Set(['checkout-exp/checkout']),
    );
  });

  it('survives an onExposure callback that throws', async () => {
    const { s, c } = await setup({
      onExposure: () => {
        throw new Error('analytics down');
      },
    });
    const details = c.forUser({ id: 'u1' }).evaluate('checkout', false);
    expect(details.reason).toBe('SPLIT');
    await c.flush();
    expect(s.events).toHaveLength(1);
  });

  it('logs async onExposure and subscribe callbacks that reject, leaving no unhandled rejection', async () => {
    // `onExposure: async (e) => { await analytics.send(e) }` with analytics down: the promise the
    // client dropped became an unhandled rejection, which ends a Node process by default.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const error = vi.fn();
      const { s, c } = await setup({
        logger: { warn: () => {}, error },
        streaming: true,
        onExposure: async () => {
          throw new Error('analytics down');
        },
      });
      c.subscribe(async () => {
        throw new Error('rerender failed');
      });
      expect(c.forUser({ id: 'u1' }).evaluate('checkout', false).reason).toBe('SPLIT');
      await waitFor(() => s.streams.size === 1, 3000, 'stream');
      s.publish(payload([0.4, 0.6]));
      await waitFor(() => error.mock.calls.length >= 2, 3000, 'both failures logged');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(error.mock.calls.map(([message]) => message).sort()).toEqual([
        'flagstaff: onExposure',
        'flagstaff: subscriber',
      ]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('copies the listed attributes into exposure events', async () => {
    const { s, c } = await setup({ exposureAttributes: ['country', 'plan'] });
    c.forUser({ id: 'u1', country: 'NL', email: 'secret@example.com' }).isOn('checkout');
    await c.flush();
    expect(s.events[0].attributes).toEqual({ country: 'NL' });
  });

  it('bounds the de-duplication memory', async () => {
    const { s, c } = await setup({ dedupeSize: 2 });
    for (const id of ['a', 'b', 'c', 'a']) c.forUser({ id }).isOn('checkout');
    await c.flush();
    expect(s.events.map((e) => e.unit)).toEqual(['a', 'b', 'c', 'a']); // 'a' was forgotten
  });

  it('forgets the least recently seen exposure first', async () => {
    const { s, c } = await setup({ dedupeSize: 2 });
    // Seeing 'a' again makes it the most recent: 'c' evicts 'b', not 'a'.
    for (const id of ['a', 'b', 'a', 'c', 'a', 'b']) c.forUser({ id }).isOn('checkout');
    await c.flush();
    expect(s.events.map((e) => e.unit)).toEqual(['a', 'b', 'c', 'b']);
  });

  it('logs no exposure for a value the app did not get (type mismatch)', async () => {
    const { s, c } = await setup({ attributes: { id: 'u1' } });
    expect(c.getValue('checkout', 'text')).toBe('text');
    await c.flush();
    expect(s.events).toHaveLength(0);
  });

  it('keeps a unit in its variation with a sticky-bucket service when weights change', async () => {
    const stickyBucketService = new InMemoryStickyBucketService();
    const { s, c } = await setup(
      { stickyBucketService, streaming: true, retryBaseMs: 20 },
      payload([1, 0]), // everyone in control
    );
    const before = await c.forUserAsync({ id: 'sticky-user' });
    expect(before.evaluate('checkout')).toMatchObject({ value: false, variationKey: 'control' });
    await waitFor(() => stickyBucketService.all().length === 1, 2000, 'saved assignment');

    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    const changed = new Promise<void>((resolve) => c.subscribe(resolve));
    s.publish(payload([0, 1])); // everyone in treatment, unless sticky
    await changed;
    expect(c.forUser({ id: 'sticky-user' }).evaluate('checkout').variationKey).toBe('treatment');
    const after = await c.forUserAsync({ id: 'sticky-user' });
    expect(after.evaluate('checkout')).toMatchObject({ value: false, variationKey: 'control' });
  });

  it('streams updates even while the sticky-bucket store never answers', async () => {
    // The stream used to start only after the client's own sticky documents had loaded: a store
    // that hung (a Redis client still connecting) left the client without updates for good.
    const s = await startTestServer(payload([1, 0]));
    servers.push(s);
    const c = createClient({
      apiHost: s.url,
      sdkKey: s.sdkKey,
      attributes: { id: 'me' },
      logger: silent,
      cache: false,
      retryBaseMs: 20,
      stickyBucketService: {
        getAssignments: () => new Promise(() => {}),
        saveAssignments: async () => {},
      },
    });
    clients.push(c);
    expect(await c.ready({ timeoutMs: 200 })).toMatchObject({ error: 'timeout', source: 'network' });
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    s.publish(payload([0, 1]));
    await waitFor(
      () => c.forUser({ id: 'u1' }).evaluate('checkout').variationKey === 'treatment',
      3000,
      'update',
    );
  });

  it('warns when the sticky-bucket store cannot be read, and evaluates without it', async () => {
    const warnings: string[] = [];
    const { c } = await setup({
      logger: { warn: (message: string) => warnings.push(message), error: () => {} },
      stickyBucketService: {
        getAssignments: () => Promise.reject(new Error('store down')),
        saveAssignments: async () => {},
      },
    });
    const user = await c.forUserAsync({ id: 'u1' });
    expect(user.evaluate('checkout').reason).toBe('SPLIT');
    expect(warnings).toContain('flagstaff: sticky bucket load');
  });

  it('never throws for attributes whose getters throw (logged; the unit has no attributes)', async () => {
    const errors: string[] = [];
    const { c } = await setup({
      logger: { warn: () => {}, error: (message: string) => errors.push(message) },
    });
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('no');
        },
      },
    );
    expect(() => c.setAttributes(hostile)).not.toThrow();
    expect(c.forUser(hostile).getValue('banner', 'x')).toBe('none');
    expect(errors).toEqual(['flagstaff: attributes', 'flagstaff: attributes']);
  });

  it('sends nothing when events are disabled', async () => {
    const { s, c } = await setup({ disableEvents: true, attributes: { id: 'u' } });
    c.isOn('checkout');
    c.track('x');
    await c.flush();
    await c.close();
    expect(s.requests.filter((r) => r.path === '/sdk/v1/events')).toHaveLength(0);
  });
});
