// Differential test: random conditions and attributes evaluated by our compiled conditions and by
// @growthbook/growthbook's reference implementation must agree. The conformance suite pins the
// documented cases; this explores the combinations between them (operators on the "wrong" types,
// nesting, missing paths, arrays) where two implementations of one spec usually drift.
import { GrowthBook, evalCondition as referenceEvalCondition } from '@growthbook/growthbook';
import { describe, expect, it } from 'vitest';
import { compile, evalCondition, evaluate } from '@flagstaff/sdk/core';
import type { FeatureDefinition, FeatureRule } from '@flagstaff/sdk/core';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES: unknown[] = [
  0,
  1,
  5,
  10,
  -3,
  2.5,
  '5',
  '10',
  'a',
  'A',
  'abc',
  'ABC',
  '',
  'true',
  true,
  false,
  null,
  [],
  ['a', 'b'],
  ['A'],
  [1, 2],
  [5, 'a'],
  { x: 1 },
  { x: 'a' },
  '1.2.3',
  'v2.0.0',
  '1.10.0-beta',
  '1.2.3-rc.1',
];
const PATHS = ['a', 'b', 'n', 'tags', 'obj.x', 'version', 'missing', 'obj.missing.deep'];
const PATTERNS = ['^a', 'c$', 'A', '[0-9]', '^$', 'a|b'];
const TYPES = ['string', 'number', 'boolean', 'array', 'object', 'null', 'undefined'];
const VERSIONS = ['1.2.3', '1.10.0', 'v2.0.0', '1.2.3-rc.1', '0.9.9', '2.0.0-beta.2'];

function makeGen(rand: () => number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const arrayOf = (): unknown[] => Array.from({ length: Math.floor(rand() * 3) }, () => pick(VALUES));

  function operator(depth: number): [string, unknown] {
    const r = Math.floor(rand() * 16);
    switch (r) {
      case 0:
        return [pick(['$eq', '$ne']), pick(VALUES)];
      case 1:
      case 2:
        return [pick(['$lt', '$lte', '$gt', '$gte']), pick(VALUES)];
      case 3:
        return [pick(['$regex', '$regexi']), pick(PATTERNS)];
      case 4:
      case 5:
        return [pick(['$in', '$nin', '$ini', '$nini']), rand() < 0.9 ? arrayOf() : pick(VALUES)];
      case 6:
        return [pick(['$all', '$alli']), arrayOf()];
      case 7:
        return ['$elemMatch', depth > 0 && rand() < 0.5 ? condition(depth - 1) : operatorObject(depth - 1)];
      case 8:
        return ['$size', rand() < 0.5 ? Math.floor(rand() * 3) : operatorObject(0)];
      case 9:
        return ['$exists', rand() < 0.5];
      case 10:
        return ['$type', pick(TYPES)];
      case 11:
        return ['$not', operatorObject(Math.max(0, depth - 1))];
      case 12:
      case 13:
        return [pick(['$veq', '$vne', '$vlt', '$vlte', '$vgt', '$vgte']), pick(VERSIONS)];
      default:
        return [pick(['$inGroup', '$notInGroup']), pick(['g1', 'g2', 'nope'])];
    }
  }

  function operatorObject(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const n = 1 + Math.floor(rand() * 2);
    for (let i = 0; i < n; i++) {
      const [op, v] = operator(depth);
      out[op] = v;
    }
    return out;
  }

  function condition(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const n = Math.floor(rand() * 3) + (depth > 0 ? 0 : 1);
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (depth > 0 && r < 0.15) {
        out[pick(['$and', '$or', '$nor'])] = Array.from({ length: Math.floor(rand() * 3) }, () =>
          condition(depth - 1),
        );
      } else if (depth > 0 && r < 0.2) {
        out.$not = condition(depth - 1);
      } else {
        out[pick(PATHS)] = rand() < 0.3 ? pick(VALUES) : operatorObject(depth);
      }
    }
    return out;
  }

  function attributes(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of ['a', 'b', 'n', 'tags', 'version']) if (rand() < 0.8) out[key] = pick(VALUES);
    if (rand() < 0.6) out.obj = rand() < 0.8 ? { x: pick(VALUES) } : pick(VALUES);
    return out;
  }
  return { condition, attributes };
}

const GROUPS = { g1: [1, 'a', 5], g2: ['A', 'abc', true] };

describe('conditions agree with the reference implementation', () => {
  it('on 20,000 random condition × attribute pairs', () => {
    const gen = makeGen(rng(20240611));
    const mismatches: string[] = [];
    let trues = 0;
    const quiet = console.error;
    console.error = () => {}; // the reference logs invalid regexes; that noise is expected here
    try {
      for (let i = 0; i < 20_000; i++) {
        const condition = gen.condition(2);
        const attributes = gen.attributes();
        const ours = evalCondition(attributes, condition, GROUPS);
        const theirs = referenceEvalCondition(attributes, condition as never, GROUPS as never);
        if (ours) trues++;
        if (ours !== theirs && mismatches.length < 10) {
          mismatches.push(
            `${JSON.stringify(condition)} on ${JSON.stringify(attributes)}: ours ${ours}, reference ${theirs}`,
          );
        }
      }
    } finally {
      console.error = quiet;
    }
    expect(mismatches).toEqual([]);
    // The generator must exercise both outcomes, or the comparison proves little.
    expect(trues).toBeGreaterThan(2_000);
    expect(trues).toBeLessThan(18_000);
  });
});

function makeFeatureGen(rand: () => number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const maybe = <T>(p: number, f: () => T): T | undefined => (rand() < p ? f() : undefined);
  const KEYS = ['f0', 'f1', 'f2', 'f3', 'f4'];
  const VALS: unknown[] = [true, false, 0, 1, 'x', 'y', null, { k: 1 }];
  const cond = (): Record<string, unknown> =>
    pick<Record<string, unknown>>([
      { country: pick(['NL', 'US']) },
      { age: { $gte: pick([18, 30, 50]) } },
      { id: { $inGroup: 'vip' } },
      { country: { $in: ['NL', 'BE'] }, age: { $lt: 40 } },
      { $or: [{ plan: 'pro' }, { age: { $gt: 60 } }] },
    ]);
  const range = (): [number, number] => {
    const a = Math.round(rand() * 100) / 100;
    return [a, Math.min(1, a + Math.round(rand() * 100) / 100)];
  };
  const hashAttr = (): string | undefined => maybe(0.3, () => pick(['id', 'company', 'missing']));
  const common = (): Partial<FeatureRule> => {
    const r: Partial<FeatureRule> = {};
    if (rand() < 0.4) r.condition = cond();
    if (rand() < 0.5) r.hashVersion = pick([1, 2, 2, 3]);
    if (rand() < 0.3) r.seed = pick(['s1', 's2', '']);
    const h = hashAttr();
    if (h) r.hashAttribute = h;
    if (rand() < 0.15)
      r.filters = [{ seed: pick(['fa', 'fb']), ranges: [range(), range()], attribute: hashAttr() }];
    if (rand() < 0.2) {
      r.parentConditions = [
        {
          id: pick(KEYS),
          condition: pick([{ value: true }, { value: { $exists: true } }, { value: 1 }]),
          gate: rand() < 0.5,
        },
      ];
    }
    if (rand() < 0.2) r.id = `rule-${Math.floor(rand() * 100)}`;
    return r;
  };
  function rule(): FeatureRule {
    if (rand() < 0.45) {
      const r: FeatureRule = { ...common(), force: pick(VALS) };
      if (rand() < 0.4) r.coverage = pick([0, 0.1, 0.5, 0.9, 1]);
      if (rand() < 0.2) r.range = range();
      return r;
    }
    const n = pick([1, 2, 2, 3]);
    const variations = Array.from({ length: n }, () => pick(VALS));
    const r: FeatureRule = { ...common(), variations };
    if (rand() < 0.6)
      r.weights = pick([Array.from({ length: n }, () => 1 / n), [0.1, 0.9], [0.5, 0.2], [0, 1, 0]]);
    if (rand() < 0.4) r.coverage = pick([0, 0.2, 0.7, 1, 1.5]);
    if (rand() < 0.15) r.ranges = variations.map(() => range());
    if (rand() < 0.2) r.namespace = [pick(['ns1', 'ns2']), 0, pick([0.3, 0.6, 1])];
    if (rand() < 0.6) r.key = pick(['e1', 'e2', 'e3']);
    if (rand() < 0.4) {
      r.meta = variations.map((_, i) => ({
        key: rand() < 0.8 ? `v${i}` : undefined,
        name: rand() < 0.3 ? `Variation ${i}` : undefined,
        passthrough: rand() < 0.1 ? true : undefined,
      }));
    }
    return r;
  }
  function features(): Record<string, FeatureDefinition> {
    const out: Record<string, FeatureDefinition> = {};
    for (const key of KEYS) {
      const f: FeatureDefinition = {};
      if (rand() < 0.9) f.defaultValue = pick(VALS);
      if (rand() < 0.9) f.rules = Array.from({ length: Math.floor(rand() * 4) }, rule);
      out[key] = f;
    }
    return out;
  }
  function attributes(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (rand() < 0.9) out.id = rand() < 0.8 ? `u${Math.floor(rand() * 1e6)}` : pick([0, 7, '', 123]);
    if (rand() < 0.5) out.company = `c${Math.floor(rand() * 1000)}`;
    if (rand() < 0.8) out.country = pick(['NL', 'US', 'BE']);
    if (rand() < 0.8) out.age = Math.floor(rand() * 80);
    if (rand() < 0.5) out.plan = pick(['free', 'pro']);
    return out;
  }
  function forcedVariations(): Record<string, number> {
    return rand() < 0.2 ? { [pick(['e1', 'e2', 'e3', 'f0', 'f1'])]: pick([0, 1, 2, -1]) } : {};
  }
  return { features, attributes, forcedVariations, keys: KEYS };
}

describe('features agree with the reference implementation', () => {
  it('on 5,000 random rulesets (rollouts, experiments, filters, namespaces, prerequisites, forcing)', () => {
    const gen = makeFeatureGen(rng(77));
    const savedGroups = { vip: ['u1', 'u2', 7, 123] };
    const mismatches: string[] = [];
    const quiet = [console.error, console.warn, console.log];
    console.error = console.warn = console.log = () => {};
    let experiments = 0;
    try {
      for (let i = 0; i < 5_000; i++) {
        const features = gen.features();
        const attributes = gen.attributes();
        const forcedVariations = gen.forcedVariations();
        const ruleset = compile({ features, savedGroups });
        // Exposures compared as sets: the reference deduplicates tracking calls per instance, by
        // experiment key, variation index and unit.
        const tracked = new Set<string>();
        const exposed = new Set<string>();
        const gb = new GrowthBook({
          features: features as never,
          savedGroups: savedGroups as never,
          attributes,
          forcedVariations,
          trackingCallback: (exp, res) => {
            tracked.add(`${exp.key}/${res.variationId}/${String(res.hashValue)}`);
          },
        });
        for (const key of gen.keys) {
          const ours = evaluate(ruleset, key, { attributes, forcedVariations });
          for (const x of [ours.exposure, ...(ours.otherExposures ?? [])]) {
            if (x) exposed.add(`${x.experiment}/${x.variationId}/${x.unit}`);
          }
          const theirs = gb.evalFeature(key);
          // Deliberate difference: a failed gate reports the rule that blocked (the reference says "").
          const ruleId = ours.source === 'prerequisite' ? '' : (ours.ruleId ?? '');
          const a = {
            value: ours.value,
            source: ours.source,
            ruleId,
            result: ours.experimentResult ?? null,
            experiment: ours.experiment ?? null,
          };
          const b = {
            value: theirs.value,
            source: theirs.source,
            ruleId: theirs.ruleId,
            result: theirs.experimentResult ?? null,
            experiment: theirs.experiment ?? null,
          };
          if (ours.experimentResult) experiments++;
          if (JSON.stringify(sortKeys(a)) !== JSON.stringify(sortKeys(b)) && mismatches.length < 5) {
            mismatches.push(
              `${key} in ${JSON.stringify(features)} for ${JSON.stringify(attributes)}:\n ours ${JSON.stringify(a)}\n ref  ${JSON.stringify(b)}`,
            );
          }
        }
        const sameExposures = tracked.size === exposed.size && [...tracked].every((t) => exposed.has(t));
        if (!sameExposures && mismatches.length < 5) {
          mismatches.push(
            `exposures in ${JSON.stringify(features)} for ${JSON.stringify(attributes)}: ` +
              `ours ${[...exposed].join(', ')}; ref ${[...tracked].join(', ')}`,
          );
        }
        gb.destroy();
      }
    } finally {
      [console.error, console.warn, console.log] = quiet;
    }
    expect(mismatches).toEqual([]);
    expect(experiments).toBeGreaterThan(1_000);
  });
});

function sortKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeys);
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x).sort()) {
      const v = (x as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return x;
}
