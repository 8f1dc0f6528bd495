// Statistical properties the hashing must have for experiments to be trustworthy, checked on
// fixed, deterministic inputs (so the tests never flake): uniform buckets, independent seeds, and
// ramps that never take the feature away from a unit that already had it.
import { describe, expect, it } from 'vitest';
import { compile, evaluate, hash } from '@flagstaff/sdk/core';
import type { FeatureRule } from '@flagstaff/sdk/core';

// --- χ² critical values, computed here rather than looked up -------------------------------------
// The χ² CDF is the regularised lower incomplete gamma function P(k/2, x/2); we evaluate it with its
// power series (converges for every x, enough terms for df ≤ 100) and invert it by bisection.

function logGamma(z: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for z > 0.5.
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
    12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  const x = z - 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

function lowerRegularisedGamma(s: number, x: number): number {
  if (x <= 0) return 0;
  let term = 1 / s;
  let sum = term;
  for (let n = 1; n < 10_000; n++) {
    term *= x / (s + n);
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return Math.exp(s * Math.log(x) - x - logGamma(s)) * sum;
}

const chiSquareCdf = (x: number, df: number): number => lowerRegularisedGamma(df / 2, x / 2);

/** The x with P(χ²_df ≤ x) = p. */
function chiSquareQuantile(p: number, df: number): number {
  let lo = 0;
  let hi = df + 50 * Math.sqrt(2 * df);
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquareCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// We test at α = 0.001: the inputs are fixed, so a pass is permanent, and a real defect (a biased or
// correlated hash) shows up far beyond this threshold.
const ALPHA = 0.001;

describe('χ² helpers', () => {
  it('match textbook values and an independent approximation', () => {
    // df = 1 from the normal distribution: χ²(p, 1) = z((1 + p) / 2)², 1.959964² and 2.575829².
    expect(chiSquareQuantile(0.95, 1)).toBeCloseTo(3.8415, 3);
    expect(chiSquareQuantile(0.99, 1)).toBeCloseTo(6.6349, 3);
    // Large df, against Wilson–Hilferty: k·(1 − 2/(9k) + z·√(2/(9k)))³ with z(0.999) = 3.090232.
    for (const k of [81, 99]) {
      const wh = k * (1 - 2 / (9 * k) + 3.090232 * Math.sqrt(2 / (9 * k))) ** 3;
      expect(Math.abs(chiSquareQuantile(0.999, k) - wh)).toBeLessThan(0.3);
    }
  });
});

const ids = (n: number, prefix = 'unit'): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const bucketOf = (seed: string, id: string, buckets: number): number =>
  Math.floor((hash(seed, id, 2) as number) * buckets);

describe('hash v2 uniformity', () => {
  const units = ids(100_000);
  const B = 100;
  const critical = chiSquareQuantile(1 - ALPHA, B - 1);
  for (const seed of ['checkout-redesign', 'pricing', '']) {
    it(`spreads 100k ids evenly over ${B} buckets (seed ${JSON.stringify(seed)})`, () => {
      const counts = new Array<number>(B).fill(0);
      for (const id of units) counts[bucketOf(seed, id, B)]++;
      const expected = units.length / B;
      const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
      console.log(
        `uniformity seed=${JSON.stringify(seed)}: χ²=${chi2.toFixed(1)} (df ${B - 1}, critical ${critical.toFixed(1)})`,
      );
      expect(chi2).toBeLessThan(critical);
    });
  }
});

describe('hash v2 independence of seeds', () => {
  const units = ids(100_000, 'user');
  const B = 10;
  const critical = chiSquareQuantile(1 - ALPHA, (B - 1) * (B - 1));
  for (const [a, b] of [
    ['exp-1', 'exp-2'],
    ['checkout', 'checkout-v2'],
    ['pricing', '__pricing'],
  ]) {
    it(`buckets under ${a} and ${b} are independent (10×10 contingency)`, () => {
      const table = Array.from({ length: B }, () => new Array<number>(B).fill(0));
      for (const id of units) table[bucketOf(a, id, B)][bucketOf(b, id, B)]++;
      const rows = table.map((r) => r.reduce((x, y) => x + y, 0));
      const cols = table[0].map((_, j) => table.reduce((x, r) => x + r[j], 0));
      let chi2 = 0;
      for (let i = 0; i < B; i++) {
        for (let j = 0; j < B; j++) {
          const expected = (rows[i] * cols[j]) / units.length;
          chi2 += (table[i][j] - expected) ** 2 / expected;
        }
      }
      console.log(`independence ${a} × ${b}: χ²=${chi2.toFixed(1)} (df 81, critical ${critical.toFixed(1)})`);
      expect(chi2).toBeLessThan(critical);
    });
  }
});

describe('stickiness under ramps', () => {
  const units = ids(50_000, 'ramp-unit');

  function treated(rule: FeatureRule): Set<string> {
    const ruleset = compile({ features: { flag: { defaultValue: false, rules: [rule] } } });
    const out = new Set<string>();
    for (const id of units) if (evaluate(ruleset, 'flag', { attributes: { id } }).value === true) out.add(id);
    return out;
  }

  function expectMonotone(steps: Set<string>[]): void {
    for (let i = 1; i < steps.length; i++) {
      const lost = [...steps[i - 1]].filter((id) => !steps[i].has(id));
      expect(lost, `units that lost the feature at step ${i}`).toEqual([]);
      expect(steps[i].size).toBeGreaterThanOrEqual(steps[i - 1].size);
    }
  }

  it('raising a rollout coverage never removes a unit', () => {
    const coverages = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.99, 1];
    const steps = coverages.map((coverage) =>
      treated({ force: true, coverage, hashVersion: 2, seed: 'ramp-a' }),
    );
    expectMonotone(steps);
    expect(steps[steps.length - 1].size).toBe(units.length);
    // Each step treats about the intended share (±1.5 points on 50k units).
    steps.forEach((s, i) => expect(Math.abs(s.size / units.length - coverages[i])).toBeLessThan(0.015));
  });

  it('raising the treatment weight of the two-variation ramp rule never removes a unit', () => {
    const weights = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.95, 1];
    const steps = weights.map((w) =>
      treated({
        key: 'ramp-b',
        seed: 'ramp-b',
        hashVersion: 2,
        variations: [false, true],
        weights: [1 - w, w],
        coverage: 1,
        meta: [{ key: 'off' }, { key: 'on' }],
      }),
    );
    expectMonotone(steps);
    expect(steps[steps.length - 1].size).toBe(units.length);
    steps.forEach((s, i) => expect(Math.abs(s.size / units.length - weights[i])).toBeLessThan(0.015));
  });
});
