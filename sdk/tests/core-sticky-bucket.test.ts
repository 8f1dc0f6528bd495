// Sticky bucketing end to end: a unit keeps its variation across weight changes until the
// experiment's bucketVersion is bumped; storage is pluggable (memory, localStorage, async stores).
import { describe, expect, it } from 'vitest';
import {
  compile,
  createStickyBucketSession,
  evaluate,
  InMemoryStickyBucketService,
  LocalStorageStickyBucketService,
} from '@flagstaff/sdk/core';
import type { FeatureRule, KeyValueStorage, StickyBucketService } from '@flagstaff/sdk/core';

const rule = (weights: number[], bucketVersion = 0): FeatureRule => ({
  key: 'pricing-test',
  seed: 'pricing-test',
  hashVersion: 2,
  hashAttribute: 'id',
  fallbackAttribute: 'deviceId',
  variations: ['old', 'new'],
  weights,
  bucketVersion,
  meta: [{ key: 'old' }, { key: 'new' }],
});
const rulesetWith = (r: FeatureRule) => compile({ features: { price: { defaultValue: 'old', rules: [r] } } });

async function evaluateWith(
  service: StickyBucketService,
  ruleset: ReturnType<typeof compile>,
  attributes: Record<string, unknown>,
) {
  const session = await createStickyBucketSession(service, ruleset, attributes);
  const e = evaluate(ruleset, 'price', { attributes, ...session.context });
  await session.flush();
  return e;
}

class FakeStorage implements KeyValueStorage {
  readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
}

const services: [string, () => StickyBucketService][] = [
  ['in memory', () => new InMemoryStickyBucketService()],
  ['localStorage', () => new LocalStorageStickyBucketService({ storage: new FakeStorage() })],
];

describe.each(services)('sticky bucketing with %s storage', (_name, make) => {
  it('keeps every unit in its first variation when weights change, until bucketVersion is bumped', async () => {
    const service = make();
    const before = rulesetWith(rule([0.5, 0.5]));
    const after = rulesetWith(rule([0, 1]));
    const bumped = rulesetWith(rule([0, 1], 1));
    for (let i = 0; i < 200; i++) {
      const attributes = { id: `u${i}` };
      const first = await evaluateWith(service, before, attributes);
      const later = await evaluateWith(service, after, attributes);
      expect(later.value).toBe(first.value);
      expect(later.experimentResult?.stickyBucketUsed).toBe(true);
      const reset = await evaluateWith(service, bumped, attributes);
      expect(reset.value).toBe('new');
      expect(reset.experimentResult?.stickyBucketUsed).toBe(false);
    }
  });

  it('falls back to the fallback attribute and keeps the assignment when the unit logs in', async () => {
    const service = make();
    const ruleset = rulesetWith(rule([0.5, 0.5]));
    const anonymous = await evaluateWith(service, ruleset, { deviceId: 'd-1' });
    expect(anonymous.experimentResult?.hashAttribute).toBe('deviceId');
    const loggedIn = await evaluateWith(service, ruleset, { id: 'user-1', deviceId: 'd-1' });
    expect(loggedIn.value).toBe(anonymous.value);
    expect(loggedIn.experimentResult).toMatchObject({ hashAttribute: 'id', stickyBucketUsed: true });
    expect(await service.getAssignments('id', 'user-1')).toMatchObject({
      assignments: { 'pricing-test__0': anonymous.variationKey },
    });
  });
});

describe('sticky-bucket storage failures', () => {
  it('a failing store degrades to plain hashing', async () => {
    const broken: StickyBucketService = {
      getAssignments: () => Promise.reject(new Error('down')),
      saveAssignments: () => Promise.reject(new Error('down')),
    };
    const errors: unknown[] = [];
    const ruleset = rulesetWith(rule([0.5, 0.5]));
    const session = await createStickyBucketSession(broken, ruleset, { id: 'u1' }, (e) => errors.push(e));
    const e = evaluate(ruleset, 'price', { attributes: { id: 'u1' }, ...session.context });
    expect(e.reason).toBe('SPLIT');
    await expect(session.flush()).resolves.toBeUndefined();
    expect(errors).toHaveLength(2); // the look-up and the save
  });

  it('corrupt localStorage entries read as no assignment', async () => {
    const storage = new FakeStorage();
    storage.setItem('flagstaff_sb__id||u1', '{not json');
    const service = new LocalStorageStickyBucketService({ storage });
    expect(await service.getAssignments('id', 'u1')).toBeNull();
    expect(
      await new LocalStorageStickyBucketService({ storage: undefined }).getAssignments('id', 'u1'),
    ).toBeNull();
  });

  it('a page whose localStorage cannot even be read (site data blocked) gets a service that stores nothing', async () => {
    // Browsers throw a SecurityError on reading `localStorage` when site data is blocked; the
    // constructor read it unguarded, so creating the service threw into the app.
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get() {
        throw new Error('SecurityError: access is denied for this document');
      },
    });
    try {
      const service = new LocalStorageStickyBucketService();
      expect(await service.getAssignments('id', 'u1')).toBeNull();
      await expect(
        service.saveAssignments({ attributeName: 'id', attributeValue: 'u1', assignments: { a__0: '1' } }),
      ).resolves.toBeUndefined();
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });

  it('the engine reports each changed document once through the context hook', () => {
    const ruleset = rulesetWith(rule([0.5, 0.5]));
    const saved: unknown[] = [];
    const ctx = {
      attributes: { id: 'u9' },
      stickyBucketAssignments: {},
      onStickyBucketAssignment: (d: unknown) => saved.push(d),
    };
    evaluate(ruleset, 'price', ctx);
    evaluate(ruleset, 'price', ctx);
    expect(saved).toHaveLength(1);
    expect(Object.keys(ctx.stickyBucketAssignments)).toEqual(['id||u9']);
  });
});
