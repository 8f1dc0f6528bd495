import { ErrorCode, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/web-sdk';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FlagstaffWebProvider } from '@flagstaff/sdk/openfeature';
import { startTestServer, waitFor, type TestServer } from './client-test-server.js';

const silent = { warn: () => {}, error: () => {} };
const payload = (limit = 3) => ({
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
    plan: { defaultValue: 'free', rules: [{ id: 'rule-pro', condition: { company: 'acme' }, force: 'pro' }] },
    limit: { defaultValue: limit, rules: [] },
    tier: { defaultValue: 'basic', rules: [{ condition: { 'org.plan': 'pro' }, force: 'gold' }] },
  },
});

let servers: TestServer[] = [];
afterEach(async () => {
  await OpenFeature.clearProviders();
  await Promise.all(servers.map((s) => s.close().catch(() => {})));
  servers = [];
});
afterAll(() => OpenFeature.close());

const setup = async () => {
  const s = await startTestServer(payload());
  servers.push(s);
  const provider = new FlagstaffWebProvider(
    {
      apiHost: s.url,
      sdkKey: s.sdkKey,
      logger: silent,
      cache: false,
      retryBaseMs: 20,
      flushIntervalMs: 10_000,
    },
    { readyTimeoutMs: 2000 },
  );
  return { s, provider };
};

describe('OpenFeature web provider', () => {
  it('resolves synchronously against the static context', async () => {
    const { s, provider } = await setup();
    await OpenFeature.setContext({ targetingKey: 'visitor-1', company: 'acme' });
    await OpenFeature.setProviderAndWait(provider);
    const client = OpenFeature.getClient();
    expect(client.providerStatus).toBe(ProviderStatus.READY);

    const split = client.getBooleanDetails('checkout', false);
    expect(split.reason).toBe('SPLIT');
    expect(['control', 'treatment']).toContain(split.variant);
    expect(split.flagMetadata).toMatchObject({ ruleId: 'rule-exp' });
    expect(client.getStringDetails('plan', 'x')).toMatchObject({ value: 'pro', reason: 'TARGETING_MATCH' });
    expect(client.getNumberDetails('limit', 0)).toMatchObject({ value: 3, reason: 'STATIC' });
    expect(client.getStringDetails('limit', 'x')).toMatchObject({
      value: 'x',
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
    expect(client.getBooleanDetails('nope', true)).toMatchObject({
      value: true,
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });

    await OpenFeature.setContext({ targetingKey: 'visitor-2', company: 'other' });
    expect(client.getStringValue('plan', 'x')).toBe('free');

    client.track('signup', { value: 1 });
    await provider.client.flush();
    expect(s.events).toMatchObject([
      { type: 'exposure', unit: 'visitor-1', experiment: 'checkout-exp' },
      { type: 'track', unit: 'visitor-2', event: 'signup', value: 1 },
    ]);
  });

  it('maps an evaluation that fails at run time (an attribute getter that throws) to GENERAL, not PARSE_ERROR', async () => {
    const { provider } = await setup();
    await OpenFeature.setContext({
      targetingKey: 'visitor-1',
      org: {
        get plan(): string {
          throw new Error('boom');
        },
      },
    });
    await OpenFeature.setProviderAndWait(provider);
    expect(OpenFeature.getClient().getStringDetails('tier', 'fallback')).toMatchObject({
      value: 'fallback',
      reason: 'ERROR',
      errorCode: ErrorCode.GENERAL,
    });
  });

  it('emits PROVIDER_CONFIGURATION_CHANGED on a streamed update', async () => {
    const { s, provider } = await setup();
    await OpenFeature.setProviderAndWait(provider);
    const client = OpenFeature.getClient();
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    let changed = 0;
    client.addHandler(ProviderEvents.ConfigurationChanged, () => changed++);
    s.publish(payload(8));
    await waitFor(() => changed === 1, 3000, 'event');
    expect(client.getNumberValue('limit', 0)).toBe(8);
  });
});
