import { ErrorCode, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/server-sdk';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ClientOptions } from '@flagstaff/sdk';
import { FlagstaffServerProvider } from '@flagstaff/sdk/openfeature';
import { startTestServer, waitFor, type TestServer } from './client-test-server.js';

const silent = { warn: () => {}, error: () => {} };
const payload = (color = 'blue') => ({
  features: {
    checkout: {
      defaultValue: false,
      rules: [
        {
          id: 'rule-exp',
          key: 'checkout-exp',
          variations: [false, true],
          weights: [0.5, 0.5],
          hashAttribute: 'id',
          seed: 'checkout-exp',
          hashVersion: 2,
          meta: [{ key: 'control' }, { key: 'treatment' }],
        },
      ],
    },
    banner: {
      defaultValue: 'none',
      rules: [{ id: 'rule-nl', condition: { country: 'NL' }, force: 'oranje' }],
    },
    color: { defaultValue: color, rules: [] },
    limits: { defaultValue: { uploads: 3 }, rules: [] },
    archived: { defaultValue: 'old' },
  },
});

let servers: TestServer[] = [];
let domain = 0;
const setup = async (options: Partial<ClientOptions> = {}) => {
  const s = await startTestServer(payload());
  servers.push(s);
  const provider = new FlagstaffServerProvider(
    {
      apiHost: s.url,
      sdkKey: s.sdkKey,
      logger: silent,
      cache: false,
      retryBaseMs: 20,
      retryMaxMs: 100,
      flushIntervalMs: 10_000,
      ...options,
    },
    { readyTimeoutMs: 2000 },
  );
  const name = `test-${domain++}`;
  return { s, provider, name, client: OpenFeature.getClient(name) };
};

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close().catch(() => {})));
  servers = [];
});
afterAll(() => OpenFeature.close());

describe('OpenFeature server provider', () => {
  it('resolves with reasons, variants, flag metadata and exposures', async () => {
    const { s, provider, name, client } = await setup();
    await OpenFeature.setProviderAndWait(name, provider);
    expect(client.providerStatus).toBe(ProviderStatus.READY);

    const split = await client.getBooleanDetails('checkout', false, { targetingKey: 'user-1' });
    expect(split.reason).toBe('SPLIT');
    expect(['control', 'treatment']).toContain(split.variant);
    expect(split.value).toBe(split.variant === 'treatment');
    expect(split.flagMetadata).toMatchObject({ ruleId: 'rule-exp', experiment: 'checkout-exp' });

    const targeted = await client.getStringDetails('banner', 'x', { targetingKey: 'u', country: 'NL' });
    expect(targeted).toMatchObject({
      value: 'oranje',
      reason: 'TARGETING_MATCH',
      flagMetadata: { ruleId: 'rule-nl' },
    });
    expect(await client.getStringDetails('banner', 'x', { country: 'DE' })).toMatchObject({
      value: 'none',
      reason: 'DEFAULT',
    });
    expect(await client.getStringDetails('archived', 'x')).toMatchObject({
      value: 'old',
      reason: 'DISABLED',
    });
    expect(await client.getObjectDetails('limits', {})).toMatchObject({
      value: { uploads: 3 },
      reason: 'STATIC',
    });

    await provider.client.flush();
    expect(s.events).toMatchObject([
      { type: 'exposure', unit: 'user-1', experiment: 'checkout-exp', flag: 'checkout' },
    ]);
    await OpenFeature.clearProviders();
  });

  it('maps errors: FLAG_NOT_FOUND and TYPE_MISMATCH', async () => {
    const { provider, name, client } = await setup();
    await OpenFeature.setProviderAndWait(name, provider);
    const missing = await client.getBooleanDetails('nope', true);
    expect(missing).toMatchObject({ value: true, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
    const mismatch = await client.getNumberDetails('color', 7);
    expect(mismatch).toMatchObject({ value: 7, reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH });
    const objectMismatch = await client.getObjectDetails('color', { a: 1 });
    expect(objectMismatch.errorCode).toBe(ErrorCode.TYPE_MISMATCH);
    await OpenFeature.clearProviders();
  });

  /** A provider on `s` (no stream), set and ready, and its OpenFeature client. */
  const readyClient = async (s: TestServer, options: Partial<ClientOptions> = {}) => {
    servers.push(s);
    const provider = new FlagstaffServerProvider({
      apiHost: s.url,
      sdkKey: s.sdkKey,
      logger: silent,
      cache: false,
      streaming: false,
      ...options,
    });
    const name = `test-${domain++}`;
    await OpenFeature.setProviderAndWait(name, provider);
    return OpenFeature.getClient(name);
  };

  it('maps an evaluation that fails at run time (an attribute getter that throws) to GENERAL, not PARSE_ERROR', async () => {
    // PARSE_ERROR is for flag configuration that cannot be parsed; the engine's ERROR is a failure
    // while evaluating (here the context's own getter), which OpenFeature calls GENERAL.
    const s = await startTestServer({
      features: {
        tier: { defaultValue: 'basic', rules: [{ condition: { 'org.plan': 'pro' }, force: 'gold' }] },
      },
    });
    const client = await readyClient(s);
    const org = {
      get plan(): string {
        throw new Error('boom');
      },
    };
    const details = await client.getStringDetails('tier', 'fallback', { targetingKey: 'u', org });
    expect(details).toMatchObject({ value: 'fallback', reason: 'ERROR', errorCode: ErrorCode.GENERAL });
    expect(details.errorMessage).toMatch(/boom/);
    await OpenFeature.clearProviders();
  });

  it('maps the remaining reasons: PREREQUISITE_FAILED, a prerequisite cycle (GENERAL), forced values (STATIC)', async () => {
    const s = await startTestServer({
      features: {
        gate: { defaultValue: false, rules: [] },
        gated: {
          defaultValue: 'open',
          rules: [
            { id: 'needs-gate', parentConditions: [{ id: 'gate', condition: { value: true }, gate: true }] },
          ],
        },
        loop: { defaultValue: 1, rules: [{ parentConditions: [{ id: 'loop', condition: { value: 1 } }] }] },
      },
    });
    const client = await readyClient(s, { forcedValues: { forced: 'qa' } });
    expect(await client.getStringDetails('gated', 'fallback', { targetingKey: 'u' })).toMatchObject({
      value: 'fallback',
      reason: 'PREREQUISITE_FAILED',
      flagMetadata: { ruleId: 'needs-gate' },
    });
    expect(await client.getNumberDetails('loop', 7, { targetingKey: 'u' })).toMatchObject({
      value: 7,
      reason: 'ERROR',
      errorCode: ErrorCode.GENERAL,
    });
    expect(await client.getStringDetails('forced', 'x')).toMatchObject({ value: 'qa', reason: 'STATIC' });
    await OpenFeature.clearProviders();
  });

  it('emits PROVIDER_CONFIGURATION_CHANGED when the ruleset changes', async () => {
    const { s, provider, name, client } = await setup();
    await OpenFeature.setProviderAndWait(name, provider);
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    let changes = 0;
    client.addHandler(ProviderEvents.ConfigurationChanged, () => changes++);
    s.publish(payload('green'));
    await waitFor(() => changes === 1, 3000, 'configuration change event');
    expect(await client.getStringValue('color', 'x')).toBe('green');
    await OpenFeature.clearProviders();
  });

  it('is not ready while nothing is available, then becomes READY when the server is back', async () => {
    const s = await startTestServer(payload());
    const port = s.port;
    await s.close();
    const provider = new FlagstaffServerProvider(
      { apiHost: s.url, sdkKey: s.sdkKey, logger: silent, cache: false, pollIntervalMs: 50, retryBaseMs: 20 },
      { readyTimeoutMs: 500 },
    );
    const name = `test-${domain++}`;
    const client = OpenFeature.getClient(name);
    await expect(OpenFeature.setProviderAndWait(name, provider)).rejects.toThrow();
    const details = await client.getBooleanDetails('checkout', true, { targetingKey: 'u' });
    expect(details).toMatchObject({ value: true, reason: 'ERROR' });
    expect([ErrorCode.PROVIDER_NOT_READY, ErrorCode.GENERAL]).toContain(details.errorCode);

    let ready = false;
    client.addHandler(ProviderEvents.Ready, () => (ready = true));
    servers.push(await startTestServer(payload('back'), { port }));
    await waitFor(() => ready, 5000, 'PROVIDER_READY');
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(await client.getStringValue('color', 'x')).toBe('back');
    await OpenFeature.clearProviders();
  });

  it('forwards track() with the targeting key as the unit', async () => {
    const { s, provider, name, client } = await setup();
    await OpenFeature.setProviderAndWait(name, provider);
    client.track('purchase', { targetingKey: 'buyer' }, { value: 9.99, currency: 'EUR' });
    await provider.client.flush();
    expect(s.events).toMatchObject([
      { type: 'track', unit: 'buyer', event: 'purchase', value: 9.99, properties: { currency: 'EUR' } },
    ]);
    await OpenFeature.clearProviders();
  });

  it('closes the client it owns when OpenFeature shuts it down, flushing events', async () => {
    const { s, provider, name, client } = await setup();
    await OpenFeature.setProviderAndWait(name, provider);
    client.track('bye', { targetingKey: 'u' });
    await OpenFeature.clearProviders();
    expect(s.events.map((e) => e.event)).toEqual(['bye']);
    expect(s.streams.size).toBe(0);
  });
});
