import type { Caller, TestApp } from '../helpers/test-app.ts';

/** A string flag `checkout` (default 'old') with a targeting rule in production, and three metrics. */
export async function seedExperimentWorld(t: TestApp): Promise<void> {
  await t.request('POST', '/api/v1/flags', {
    as: t.admin,
    body: { key: 'checkout', valueType: 'string', defaultValue: 'old', availableToClientKeys: true },
  });
  const metrics = [
    { key: 'purchase', name: 'Purchase', kind: 'binomial', eventName: 'purchase' },
    { key: 'revenue', name: 'Revenue', kind: 'mean', eventName: 'purchase', windowHours: null },
    {
      key: 'aov',
      name: 'Order value',
      kind: 'ratio',
      eventName: 'revenue',
      denominatorEventName: 'order',
      capping: { type: 'value', value: 1000 },
    },
    { key: 'latency', name: 'Latency', kind: 'mean', eventName: 'page_load', direction: 'lower' },
  ];
  for (const body of metrics) await t.request('POST', '/api/v1/metrics', { as: t.admin, body });
}

export const experimentBody = (overrides: Record<string, unknown> = {}) => ({
  key: 'checkout-test',
  name: 'One-page checkout',
  hypothesis: 'Fewer steps, more purchases',
  flag: 'checkout',
  environment: 'production',
  variations: [
    { key: 'control', value: 'old', weight: 0.5 },
    { key: 'treatment', value: 'new', weight: 0.5 },
  ],
  goalMetrics: ['purchase'],
  secondaryMetrics: ['revenue', 'aov'],
  guardrailMetrics: ['latency'],
  ...overrides,
});

export function experimentCalls(t: TestApp, as: Caller = t.admin) {
  return {
    create: (body: Record<string, unknown> = experimentBody()) =>
      t.request('POST', '/api/v1/experiments', { as, body }),
    get: (key = 'checkout-test') => t.request('GET', `/api/v1/experiments/${key}`, { as }),
    patch: (body: Record<string, unknown>, key = 'checkout-test') =>
      t.request('PATCH', `/api/v1/experiments/${key}`, { as, body }),
    action: (action: 'start' | 'stop' | 'ship' | 'abandon', body?: unknown, key = 'checkout-test') =>
      t.request('POST', `/api/v1/experiments/${key}/${action}`, { as, ...(body ? { body } : {}) }),
  };
}
