// The Evaluation contract beyond the conformance suite: reasons (mapped onto OpenFeature's),
// exposures, and the promise that nothing a payload or a caller does makes the engine throw.
import { describe, expect, it, vi } from 'vitest';
import { compile, contextualBandits, evaluate, runExperiment } from '@flagstaff/sdk/core';
import type { FeaturePayload } from '@flagstaff/sdk/core';

const payload: FeaturePayload = {
  features: {
    off: { defaultValue: false },
    'on-no-rules': { defaultValue: 'x', rules: [] },
    targeted: { defaultValue: 'a', rules: [{ id: 'nl', condition: { country: 'NL' }, force: 'b' }] },
    rollout: { defaultValue: false, rules: [{ id: 'ramp', force: true, coverage: 1, hashVersion: 2 }] },
    experiment: {
      defaultValue: 'control',
      rules: [
        {
          id: 'exp-rule',
          key: 'checkout-test',
          hashVersion: 2,
          variations: ['control', 'treatment'],
          meta: [{ key: 'c' }, { key: 't' }],
        },
      ],
    },
    gated: {
      defaultValue: 1,
      rules: [{ id: 'gate', parentConditions: [{ id: 'off', condition: { value: true }, gate: true }] }],
    },
    loop: { defaultValue: 1, rules: [{ parentConditions: [{ id: 'loop', condition: { value: 1 } }] }] },
  },
};
const ruleset = compile(payload);
const user = { attributes: { id: 'user-42', country: 'NL' } };

describe('reasons', () => {
  it('FLAG_NOT_FOUND for unknown keys, with a null value', () => {
    expect(evaluate(ruleset, 'nope', user)).toMatchObject({
      reason: 'FLAG_NOT_FOUND',
      value: null,
      off: true,
    });
  });
  it('DISABLED when the feature carries no rules, DEFAULT when no rule applies', () => {
    expect(evaluate(ruleset, 'off', user)).toMatchObject({ reason: 'DISABLED', value: false });
    expect(evaluate(ruleset, 'on-no-rules', user)).toMatchObject({ reason: 'DEFAULT', value: 'x', on: true });
    expect(evaluate(ruleset, 'targeted', { attributes: { id: '1', country: 'US' } })).toMatchObject({
      reason: 'DEFAULT',
      value: 'a',
    });
  });
  it('TARGETING_MATCH for a matching force rule, with its id', () => {
    expect(evaluate(ruleset, 'targeted', user)).toMatchObject({
      reason: 'TARGETING_MATCH',
      value: 'b',
      ruleId: 'nl',
    });
  });
  it('SPLIT for hashed rollouts (no exposure) and experiments (exposure)', () => {
    const r = evaluate(ruleset, 'rollout', user);
    expect(r).toMatchObject({ reason: 'SPLIT', value: true, ruleId: 'ramp' });
    expect(r.exposure).toBeUndefined();
    const e = evaluate(ruleset, 'experiment', user);
    expect(e.reason).toBe('SPLIT');
    expect(e.ruleId).toBe('exp-rule');
    expect(e.exposure).toEqual({
      flag: 'experiment',
      experiment: 'checkout-test',
      variation: e.variationKey,
      variationId: e.variationId,
      hashAttribute: 'id',
      unit: 'user-42',
      bucket: e.experimentResult?.bucket,
    });
    expect(['c', 't']).toContain(e.variationKey);
  });
  it('OVERRIDE for forced values and forced variations, which log no exposure', () => {
    expect(evaluate(ruleset, 'targeted', { ...user, forcedValues: { targeted: 'z' } })).toMatchObject({
      reason: 'OVERRIDE',
      value: 'z',
    });
    const forced = evaluate(ruleset, 'experiment', { ...user, forcedVariations: { 'checkout-test': 1 } });
    expect(forced).toMatchObject({ reason: 'OVERRIDE', value: 'treatment', variationKey: 't' });
    expect(forced.exposure).toBeUndefined();
  });
  it('PREREQUISITE_FAILED and CYCLIC_PREREQUISITE', () => {
    expect(evaluate(ruleset, 'gated', user)).toMatchObject({
      reason: 'PREREQUISITE_FAILED',
      value: null,
      ruleId: 'gate',
    });
    expect(evaluate(ruleset, 'loop', user)).toMatchObject({ reason: 'CYCLIC_PREREQUISITE', value: null });
  });
  it('ERROR instead of an exception when evaluation itself fails', () => {
    const attributes = { id: 'u', big: 10n };
    const r = compile({
      features: { f: { defaultValue: 1, rules: [{ condition: { big: [1] }, force: 2 }] } },
    });
    const e = evaluate(r, 'f', { attributes });
    expect(e).toMatchObject({ reason: 'ERROR', value: null });
    expect(e.errorMessage).toBeTruthy();
    expect(evaluate(undefined as never, 'f', user).reason).toBe('ERROR');
  });
});

describe('exposures collected on the way', () => {
  const r = compile({
    features: {
      parent: {
        defaultValue: false,
        rules: [{ key: 'parent-exp', hashVersion: 2, variations: [true, true] }],
      },
      child: {
        defaultValue: 'off',
        rules: [{ parentConditions: [{ id: 'parent', condition: { value: true } }], force: 'on' }],
      },
      held: {
        defaultValue: 0,
        rules: [
          {
            key: 'holdout',
            hashVersion: 2,
            variations: [0, 0],
            ranges: [
              [0, 0],
              [0, 1],
            ],
            meta: [{}, { passthrough: true }],
          },
          { key: 'inner', hashVersion: 2, variations: [1, 2] },
        ],
      },
    },
  });
  it('a prerequisite that is an experiment exposes the unit to it', () => {
    const e = evaluate(r, 'child', user);
    expect(e).toMatchObject({ value: 'on', reason: 'TARGETING_MATCH' });
    expect(e.exposure).toBeUndefined();
    expect(e.otherExposures).toEqual([expect.objectContaining({ flag: 'parent', experiment: 'parent-exp' })]);
  });
  it('a passthrough (holdout) variation is logged alongside the experiment that decides', () => {
    const e = evaluate(r, 'held', user);
    expect(e.exposure).toMatchObject({ experiment: 'inner' });
    expect(e.otherExposures).toEqual([expect.objectContaining({ experiment: 'holdout', variationId: 1 })]);
  });
  it('nothing extra is attached when nothing happened on the way', () => {
    expect(evaluate(r, 'parent', user).otherExposures).toBeUndefined();
  });
});

describe('compiled once per payload', () => {
  it('evaluating builds no regex and parses no JSON', () => {
    const counted = {
      features: {
        f: {
          defaultValue: 'none',
          rules: [
            { id: 'mail', condition: { email: { $regex: '@acme\\.io$' } }, force: 'staff' },
            {
              id: 'name',
              condition: { name: { $regexi: '^ad' }, $or: [{ app: { $vgte: '2.1.0' } }] },
              force: 'v2',
            },
            { id: 'tags', condition: { tags: { $elemMatch: { $regex: '^beta' } } }, force: 'beta' },
            { id: 'group', condition: { id: { $inGroup: 'vips' } }, force: 'vip' },
            { id: 'exp', key: 'e', hashVersion: 2, variations: ['a', 'b'], weights: [0.5, 0.5] },
          ],
        },
      },
      savedGroups: { vips: ['u-1', 'u-2'] },
    };
    const Real = globalThis.RegExp;
    let built = 0;
    const counting = new Proxy(Real, {
      construct: (target, args) => (built++, Reflect.construct(target, args)),
      apply: (target, self, args) => (built++, Reflect.apply(target, self, args)),
    });
    globalThis.RegExp = counting;
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const r = compile(counted);
      const atCompile = built;
      const values = new Set<unknown>();
      for (let i = 0; i < 2000; i++) {
        const attributes = { id: `u-${i}`, email: `p${i}@acme.io`, name: 'Ada', app: '2.0.9', tags: ['x'] };
        values.add(
          evaluate(r, 'f', { attributes: { ...attributes, email: i % 2 ? 'x' : attributes.email } }).value,
        );
      }
      expect(atCompile).toBe(3); // the three operands, once each
      expect(built).toBe(atCompile);
      expect(parse).not.toHaveBeenCalled();
      expect(values).toEqual(new Set(['staff', 'vip', 'a', 'b']));
    } finally {
      globalThis.RegExp = Real;
      parse.mockRestore();
    }
  });
});

describe('degrading, never throwing', () => {
  it('a bad regex disables only its condition and is reported with its feature and rule', () => {
    const logger = vi.fn();
    const r = compile(
      {
        features: {
          f: {
            defaultValue: 'default',
            rules: [
              { id: 'broken', condition: { email: { $regex: '([' } }, force: 'broken' },
              { id: 'fine', condition: { email: { $regex: '@acme\\.io$' } }, force: 'fine' },
            ],
          },
        },
      },
      { logger },
    );
    expect(evaluate(r, 'f', { attributes: { email: 'a@acme.io' } })).toMatchObject({
      value: 'fine',
      ruleId: 'fine',
    });
    expect(logger).toHaveBeenCalledTimes(1);
    expect(logger.mock.calls[0][1]).toMatchObject({ path: 'features.f.rules[0]' });
    expect(logger.mock.calls[0][1].message).toMatch(/\$regex/);
    expect(r.issues).toHaveLength(1);
  });

  it('wrong types anywhere in a payload are reported, not thrown', () => {
    const logger = vi.fn();
    const weird = {
      features: {
        a: 'not an object',
        b: { defaultValue: 1, rules: 'nope' },
        c: { defaultValue: 1, rules: [null, 3, { condition: 'x', force: 2 }, { variations: 'no' }] },
        d: { rules: [{ variations: [1, 2], ranges: 'bad', namespace: [1], filters: {}, hashVersion: 9 }] },
        e: { rules: [{ force: 1, coverage: 'half', range: [0] }] },
        g: {
          rules: [
            { parentConditions: 'x', force: 1 },
            { condition: { a: { $in: 'x', $bogus: 1 } }, force: 2 },
          ],
        },
      },
      savedGroups: { bad: 'x' },
    } as unknown as FeaturePayload;
    const r = compile(weird, { logger });
    expect(logger.mock.calls.length).toBeGreaterThan(8);
    for (const key of ['a', 'b', 'c', 'd', 'e', 'g', 'missing']) {
      expect(() => evaluate(r, key, { attributes: { id: 'u1', a: 'x' } })).not.toThrow();
    }
    expect(evaluate(r, 'c', { attributes: {} }).value).toBe(1);
    expect(() => compile(null as never)).not.toThrow();
    expect(() =>
      compile('garbage' as never, {
        logger: () => {
          throw new Error('logger down');
        },
      }),
    ).not.toThrow();
  });

  it('random junk payloads and attributes never make compile or evaluate throw', () => {
    let seed = 1;
    const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const junk = (depth: number): unknown => {
      const r = rand();
      if (depth <= 0 || r < 0.3)
        return [null, 0, 1, -1, 'x', '', true, 0.5, '$in', NaN][Math.floor(rand() * 10)];
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => junk(depth - 1));
      const keys = [
        'rules',
        'force',
        'variations',
        'condition',
        'coverage',
        'range',
        'ranges',
        'weights',
        'filters',
        'namespace',
        'parentConditions',
        'hashVersion',
        'meta',
        '$or',
        '$in',
        '$regex',
        'id',
        'value',
        'seed',
        'key',
      ];
      const o: Record<string, unknown> = {};
      for (let i = 0; i < 1 + rand() * 4; i++) o[keys[Math.floor(rand() * keys.length)]] = junk(depth - 1);
      return o;
    };
    for (let i = 0; i < 2_000; i++) {
      const features = { f: junk(4), g: { defaultValue: 1, rules: [junk(3), junk(3)] } };
      const r = compile({ features } as never, { logger: () => {} });
      const attributes = junk(2) as Record<string, unknown>;
      expect(() =>
        evaluate(r, 'f', { attributes: { id: 'u', ...(typeof attributes === 'object' ? attributes : {}) } }),
      ).not.toThrow();
      expect(() => evaluate(r, 'g', { attributes })).not.toThrow();
    }
  });

  it('runExperiment never throws either', () => {
    expect(
      runExperiment({ key: 'k', variations: null } as never, { attributes: { id: '1' } }).inExperiment,
    ).toBe(false);
    expect(runExperiment({ key: 'k', variations: [0, 1] }, null as never).inExperiment).toBe(false);
  });
});

describe('contextual bandits, an opt-in', () => {
  const bandit: FeaturePayload = {
    features: {
      f: {
        defaultValue: 'default',
        rules: [{ id: 'cb', key: 'cb', contextualBanditRef: 'b', contextualVariations: ['x', 'y'] }],
      },
    },
    contextualBandits: { b: { banditVersion: 3, contexts: [{ leafId: 7, weights: [0, 1] }] } },
  };

  it('without the option, bandit rules are reported and never apply', () => {
    const r = compile(bandit);
    expect(r.issues).toMatchObject([
      { path: 'features.f.rules[0]', message: expect.stringMatching(/contextualBandits/) },
    ]);
    expect(evaluate(r, 'f', user)).toMatchObject({ value: 'default', reason: 'DEFAULT' });
  });

  it('with it, the leaf splits the unit and the result names the leaf', () => {
    const e = evaluate(compile(bandit, { contextualBandits }), 'f', user);
    expect(e).toMatchObject({ value: 'y', reason: 'SPLIT', ruleId: 'cb' });
    expect(e.experiment?.contextualBandit).toEqual({ leafId: 7, variationWeights: [0, 1], banditVersion: 3 });
  });
});
