import { describe, expect, it } from 'vitest';
import {
  analyze,
  analyzeFamily,
  holm,
  sequentialSrmTest,
  srmTest,
  StatsInputError,
  verdict,
  type AnalyzeRequest,
  type AnalyzeResponse,
  type Comparison,
  type VariationInput,
} from '../../src/stats/index.js';

function binomial(key: string, n: number, conversions: number, weight = 1): VariationInput {
  return { key, weight, n, sum: conversions, sumSquares: conversions };
}

function request(variations: VariationInput[], settings: AnalyzeRequest['settings'] = {}): AnalyzeRequest {
  return { metric: { kind: 'binomial', direction: 'higher' }, variations, settings };
}

/** Every number in the response is finite: nothing that JSON would turn into null silently. */
function expectJsonSafe(response: AnalyzeResponse): void {
  const walk = (value: unknown): void => {
    if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(response);
  expect(JSON.parse(JSON.stringify(response))).toEqual(response);
}

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof StatsInputError) return error.field;
    throw error;
  }
  return undefined;
}

describe('analyze: degenerate data gives nulls, not NaN', () => {
  it.each([
    ['an empty control', [binomial('a', 0, 0), binomial('b', 100, 10)]],
    ['a single unit per arm', [binomial('a', 1, 1), binomial('b', 1, 0)]],
    ['zero variance in both arms', [binomial('a', 500, 0), binomial('b', 500, 0)]],
    ['a control mean of zero', [binomial('a', 500, 0), binomial('b', 500, 7)]],
  ])('%s', (_name, variations) => {
    for (const settings of [
      {},
      { sequential: false },
      { sequential: true },
      { engine: 'bayesian' as const },
      { sequential: false, cuped: false, sided: 'less' as const },
    ]) {
      const response = analyze(request(variations, settings));
      expectJsonSafe(response);
      expect(response.comparisons).toHaveLength(1);
    }
  });

  it('keeps what can be computed: the absolute effect when only the relative one is undefined', () => {
    const [c] = analyze(request([binomial('a', 500, 0), binomial('b', 500, 7)])).comparisons;
    expect(c.absolute.estimate).toBeCloseTo(0.014, 12);
    expect(c.absolute.pValue).toBeTypeOf('number');
    expect(c.relative).toEqual({ estimate: null, se: null, ci: [null, null], pValue: null });
  });

  it('keeps the point estimate when the variance is zero', () => {
    const [c] = analyze(request([binomial('a', 50, 50), binomial('b', 50, 50)])).comparisons;
    expect(c.absolute).toEqual({ estimate: 0, se: null, ci: [null, null], pValue: null });
    expect(c.relative.estimate).toBe(0);
  });

  it('stays JSON-safe with sums near the limits of double precision', () => {
    const huge: VariationInput[] = [
      { key: 'a', weight: 1, n: 10, sum: 1e160, sumSquares: 1e300 },
      { key: 'b', weight: 1, n: 10, sum: -1e160, sumSquares: 1e300 },
    ];
    expectJsonSafe(analyze({ metric: { kind: 'mean', direction: 'higher' }, variations: huge }));
  });

  it('checks the split at weights near the limits of double precision (only their proportions count)', () => {
    const even = analyze(request([binomial('a', 100, 10, 1e308), binomial('b', 100, 12, 1e308)])).srm;
    expect(even).toEqual({ pValue: 1, healthy: true });
    // Units in an arm configured at (next to) nothing: a mismatch, not a missing p-value.
    const starved = analyze(request([binomial('a', 100, 10, 1e-320), binomial('b', 100, 12)])).srm;
    expect(starved).toEqual({ pValue: 0, healthy: false });
  });

  it('leaves out a variation configured at 0 % while it has no units; units in it are a mismatch', () => {
    // Weights may be 0 (a treatment paused by a weight change): no unit expected, none seen.
    const paused = srmTest([5010, 4990, 0], [0.5, 0.5, 0]);
    expect(paused).toMatchObject({ df: 1, healthy: true });
    expect(paused.pValue).toBeCloseTo(srmTest([5010, 4990], [0.5, 0.5]).pValue!, 12);
    const sequential = sequentialSrmTest([5010, 4990, 0], [0.5, 0.5, 0]);
    expect(sequential.healthy).toBe(true);
    expect(sequential.pValue).toBeCloseTo(sequentialSrmTest([5010, 4990], [1, 1]).pValue, 12);
    expect(srmTest([100, 0], [1, 0])).toMatchObject({ pValue: 1, healthy: true });
    expect(sequentialSrmTest([100, 0], [1, 0])).toMatchObject({ pValue: 1, healthy: true });
    expect(srmTest([5000, 4990, 10], [0.5, 0.5, 0])).toMatchObject({ pValue: 0, healthy: false });
    expect(sequentialSrmTest([5000, 4990, 10], [0.5, 0.5, 0])).toMatchObject({ pValue: 0, healthy: false });
  });

  it('reports no SRM evidence before any unit arrives', () => {
    expect(analyze(request([binomial('a', 0, 0), binomial('b', 0, 0)])).srm).toEqual({
      pValue: null,
      healthy: true,
    });
  });
});

describe('analyze: malformed input throws StatsInputError naming the field', () => {
  const ok = [binomial('a', 100, 10), binomial('b', 100, 12)];
  it.each<[string, () => unknown, string]>([
    ['alpha out of range', () => analyze(request(ok, { alpha: 0 })), 'settings.alpha'],
    ['a single variation', () => analyze(request([ok[0]])), 'variations'],
    ['conversions above n', () => analyze(request([ok[0], binomial('b', 10, 11)])), 'variations[1].sum'],
    ['a fractional n', () => analyze(request([{ ...ok[0], n: 1.5 }, ok[1]])), 'variations[0].n'],
    ['a NaN sum', () => analyze(request([ok[0], { ...ok[1], sum: NaN }])), 'variations[1].sum'],
    ['a duplicate key', () => analyze(request([ok[0], { ...ok[1], key: 'a' }])), 'variations[1].key'],
    ['a zero weight', () => analyze(request([ok[0], { ...ok[1], weight: 0 }])), 'variations[1].weight'],
    ['CUPED without pre-period sums', () => analyze(request(ok, { cuped: true })), 'variations[0].pre'],
    [
      'a non-positive prior variance',
      () => analyze(request(ok, { prior: { mean: 0, variance: 0 } })),
      'settings.prior.variance',
    ],
    ['an unknown engine', () => analyze(request(ok, { engine: 'magic' as 'bayesian' })), 'settings.engine'],
    [
      'a ratio metric without denominators',
      () => analyze({ metric: { kind: 'ratio', direction: 'higher' }, variations: ok }),
      'variations[0].denominator',
    ],
  ])('%s', (_name, fn, field) => {
    expect(fieldOf(fn)).toBe(field);
  });
});

describe('analyze: behaviour', () => {
  const variations = [binomial('control', 4000, 400), binomial('b', 4000, 470), binomial('c', 4000, 380)];

  it('compares every treatment with the first variation', () => {
    const response = analyze(request(variations));
    expect(response.comparisons.map((c) => c.variation)).toEqual(['b', 'c']);
    expect(response.srm.healthy).toBe(true);
  });

  it('flags a sample-ratio mismatch against the configured weights', () => {
    const skewed = [binomial('control', 5000, 500), binomial('b', 4500, 450)];
    expect(analyze(request(skewed)).srm.healthy).toBe(false);
    const weighted = [binomial('control', 5000, 500, 10), binomial('b', 4500, 450, 9)];
    expect(analyze(request(weighted)).srm.healthy).toBe(true);
  });

  it('halves the p-value one-sided in the direction of the estimate', () => {
    const fixed = { sequential: false };
    const two = analyze(request(variations, fixed)).comparisons[0].absolute;
    const greater = analyze(request(variations, { ...fixed, sided: 'greater' })).comparisons[0].absolute;
    const less = analyze(request(variations, { ...fixed, sided: 'less' })).comparisons[0].absolute;
    expect(greater.pValue).toBeCloseTo((two.pValue as number) / 2, 14);
    expect(less.pValue).toBeCloseTo(1 - (two.pValue as number) / 2, 14);
    expect(greater.ci[1]).toBeNull();
    expect(less.ci[0]).toBeNull();
  });

  it('sequential p-values and confidence sequences agree: p < α exactly when 0 is excluded', () => {
    for (let conversions = 380; conversions <= 480; conversions += 2) {
      for (const sided of ['two', 'greater', 'less'] as const) {
        const vs = [binomial('control', 4000, 400), binomial('b', 4000, conversions)];
        const { absolute } = analyze(request(vs, { sequential: true, sided })).comparisons[0];
        const excludes = (absolute.ci[0] ?? -Infinity) > 0 || (absolute.ci[1] ?? Infinity) < 0;
        expect(excludes, `${conversions} ${sided}`).toBe((absolute.pValue as number) < 0.05);
      }
    }
  });

  it('sequential intervals are wider than fixed-horizon ones', () => {
    const fixed = analyze(request(variations, { sequential: false })).comparisons[0].absolute;
    const seq = analyze(request(variations, { sequential: true })).comparisons[0].absolute;
    expect((seq.ci[1] as number) - (seq.ci[0] as number)).toBeGreaterThan(
      (fixed.ci[1] as number) - (fixed.ci[0] as number),
    );
    expect(seq.pValue as number).toBeGreaterThan(fixed.pValue as number);
  });

  it('a proper prior shrinks the Bayesian posterior toward its mean', () => {
    const flat = analyze(request(variations, { engine: 'bayesian' })).comparisons[0];
    const shrunk = analyze(request(variations, { engine: 'bayesian', prior: { mean: 0, variance: 0.001 } }))
      .comparisons[0];
    expect(Math.abs(shrunk.relative.estimate as number)).toBeLessThan(
      Math.abs(flat.relative.estimate as number),
    );
    expect(shrunk.relative.se as number).toBeLessThan(flat.relative.se as number);
    expect(flat.chanceToWin as number).toBeGreaterThan(0.95);
    expect(flat.risk?.[0] as number).toBeGreaterThan(flat.risk?.[1] as number);
    expect(flat.relative.pValue).toBeNull();
  });

  it('CUPED with a constant covariate changes nothing', () => {
    const mean = (key: string, n: number, sum: number, sumSquares: number): VariationInput => ({
      key,
      weight: 1,
      n,
      sum,
      sumSquares,
      pre: { sum: n * 3, sumSquares: n * 9, sumProduct: sum * 3 },
    });
    const vs = [mean('a', 100, 1000, 10400), mean('b', 110, 1150, 12300)];
    const base: AnalyzeRequest = { metric: { kind: 'mean', direction: 'higher' }, variations: vs };
    const plain = analyze({ ...base, settings: { cuped: false } }).comparisons[0];
    const cuped = analyze({ ...base, settings: { cuped: true } }).comparisons[0];
    expect(cuped.absolute.estimate).toBeCloseTo(plain.absolute.estimate as number, 12);
    expect(cuped.absolute.se).toBeCloseTo(plain.absolute.se as number, 12);
  });
});

describe('analyzeFamily', () => {
  const metricA = request([
    binomial('control', 4000, 400),
    binomial('b', 4000, 470),
    binomial('c', 4000, 430),
  ]);
  const metricB = request([
    binomial('control', 4000, 1000),
    binomial('b', 4000, 1060),
    binomial('c', 4000, 990),
  ]);

  it('replaces p-values by Holm-adjusted ones across metrics × variations and widens intervals', () => {
    const raw = [analyze(metricA), analyze(metricB)];
    const corrected = analyzeFamily([metricA, metricB], { method: 'holm' });
    const rawP = raw.flatMap((r) => r.comparisons.map((c) => c.relative.pValue as number));
    const correctedP = corrected.flatMap((r) => r.comparisons.map((c) => c.relative.pValue as number));
    expect(correctedP).toEqual(holm(rawP));
    const width = (c: Comparison) => (c.absolute.ci[1] as number) - (c.absolute.ci[0] as number);
    expect(width(corrected[0].comparisons[0])).toBeGreaterThan(width(raw[0].comparisons[0]));
    expect(corrected[0].comparisons[0].absolute.estimate).toBe(raw[0].comparisons[0].absolute.estimate);
  });

  it('names the failing request in input errors', () => {
    const bad = request([binomial('control', 10, 1), binomial('b', 10, 11)]);
    expect(fieldOf(() => analyzeFamily([metricA, bad], { method: 'holm' }))).toBe('[1].variations[1].sum');
  });

  it('forms Benjamini–Hochberg intervals that exclude 0 exactly for the rejected hypotheses', () => {
    for (const sequential of [false, true]) {
      const settings = { sequential };
      const corrected = analyzeFamily(
        [
          { ...metricA, settings },
          { ...metricB, settings },
        ],
        { method: 'benjamini-hochberg' },
      );
      for (const c of corrected.flatMap((r) => r.comparisons)) {
        const excludes = (c.absolute.ci[0] as number) > 0 || (c.absolute.ci[1] as number) < 0;
        expect(excludes).toBe((c.absolute.pValue as number) <= 0.05);
      }
    }
  });
});

describe('verdict', () => {
  const effect = (estimate: number, pValue: number | null) => ({
    estimate,
    se: 1,
    ci: [null, null] as [null, null],
    pValue,
  });
  const comparison = (estimate: number, pValue: number | null): Comparison => ({
    variation: 'b',
    absolute: effect(estimate, pValue),
    relative: effect(estimate, pValue),
  });

  it('is direction-aware', () => {
    expect(verdict(comparison(0.1, 0.01), { direction: 'higher' })).toBe('winning');
    expect(verdict(comparison(0.1, 0.01), { direction: 'lower' })).toBe('losing');
    expect(verdict(comparison(-0.1, 0.01), { direction: 'lower' })).toBe('winning');
    expect(verdict(comparison(0.1, 0.2), { direction: 'higher' })).toBe('inconclusive');
    expect(verdict(comparison(0.1, null), { direction: 'higher' })).toBe('inconclusive');
    expect(verdict(comparison(0.1, 0.04), { direction: 'higher', alpha: 0.01 })).toBe('inconclusive');
  });

  it('uses the chance to win for Bayesian results', () => {
    const bayes = (chanceToWin: number | null): Comparison => ({ ...comparison(0, null), chanceToWin });
    expect(verdict(bayes(0.97), { direction: 'higher' })).toBe('winning');
    expect(verdict(bayes(0.02), { direction: 'lower' })).toBe('losing');
    expect(verdict(bayes(0.5), { direction: 'higher' })).toBe('inconclusive');
    expect(verdict(bayes(null), { direction: 'higher' })).toBe('inconclusive');
  });
});
