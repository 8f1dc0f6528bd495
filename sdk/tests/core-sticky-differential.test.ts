// Sticky bucketing against the reference implementation, through a sequence of payload updates
// (weights moved, targeting tightened, bucketVersion bumped, old versions blocked) and users who
// start anonymous and later log in. Each engine keeps its own store; results must agree at every step.
import {
  GrowthBook,
  LocalStorageStickyBucketService as ReferenceStorageService,
} from '@growthbook/growthbook';
import { describe, expect, it } from 'vitest';
import {
  compile,
  createStickyBucketSession,
  evaluate,
  InMemoryStickyBucketService,
} from '@flagstaff/sdk/core';
import type { FeaturePayload, FeatureRule } from '@flagstaff/sdk/core';

const rule = (extra: Partial<FeatureRule>): FeatureRule => ({
  key: 'pricing',
  seed: 'pricing',
  hashVersion: 2,
  hashAttribute: 'id',
  fallbackAttribute: 'deviceId',
  variations: ['a', 'b', 'c'],
  weights: [0.34, 0.33, 0.33],
  meta: [{ key: 'a' }, { key: 'b' }, { key: 'c' }],
  ...extra,
});

const VERSIONS: FeaturePayload[] = [
  { weights: [0.34, 0.33, 0.33] },
  { weights: [0.1, 0.1, 0.8] },
  { weights: [0.1, 0.1, 0.8], condition: { country: 'NL' } },
  { weights: [0.5, 0.25, 0.25], bucketVersion: 1 },
  { weights: [0.5, 0.25, 0.25], bucketVersion: 2, minBucketVersion: 1 },
  { weights: [0, 0, 1], bucketVersion: 2, minBucketVersion: 1, coverage: 0.5 },
].map((extra) => ({
  features: { price: { defaultValue: 'none', rules: [rule(extra as Partial<FeatureRule>)] } },
}));

function referenceStore() {
  const data = new Map<string, string>();
  return new ReferenceStorageService({
    localStorage: {
      getItem: async (k: string) => data.get(k) ?? null,
      setItem: async (k: string, v: string) => void data.set(k, v),
    },
  });
}

describe('sticky bucketing agrees with the reference', () => {
  it('through six payload versions, 150 users, anonymous then logged in', async () => {
    const ours = new InMemoryStickyBucketService();
    const theirs = referenceStore();
    const mismatches: string[] = [];
    let stickyUsed = 0;
    for (const [v, payload] of VERSIONS.entries()) {
      const ruleset = compile(payload);
      for (let u = 0; u < 150; u++) {
        // Users log in halfway through the sequence; until then only the device is known.
        const attributes: Record<string, unknown> = { deviceId: `d${u}`, country: u % 3 === 0 ? 'NL' : 'US' };
        if (v >= 3 || u % 2 === 0) attributes.id = `u${u}`;

        const session = await createStickyBucketSession(ours, ruleset, attributes);
        const a = evaluate(ruleset, 'price', { attributes, ...session.context });
        await session.flush();

        const gb = new GrowthBook({ attributes, stickyBucketService: theirs });
        await gb.setPayload(payload as never);
        const b = gb.evalFeature('price');
        await new Promise((resolve) => setTimeout(resolve, 0)); // let its fire-and-forget save land
        gb.destroy();

        const pick = (r: typeof a.experimentResult) =>
          r && { v: r.variationId, in: r.inExperiment, sticky: r.stickyBucketUsed, attr: r.hashAttribute };
        const x = JSON.stringify({ value: a.value, r: pick(a.experimentResult) });
        const y = JSON.stringify({
          value: b.value,
          r: pick(b.experimentResult as typeof a.experimentResult),
        });
        if (a.experimentResult?.stickyBucketUsed && b.experimentResult?.stickyBucketUsed) stickyUsed++;
        if (x !== y && mismatches.length < 8)
          mismatches.push(`version ${v}, user ${u}: ours ${x}, reference ${y}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(stickyUsed).toBeGreaterThan(200);
  });
});
