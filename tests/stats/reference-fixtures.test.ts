import { afterAll, describe, expect, it } from 'vitest';
import {
  absoluteEffect,
  adjustedIntervalAlpha,
  analyze,
  analyzeFamily,
  benjaminiHochberg,
  cupedAdjust,
  holm,
  minimumDetectableEffect,
  mixtureRho,
  power,
  relativeEffect,
  requiredSampleSize,
  sequentialSrmTest,
  srmTest,
  summarize,
  type EffectResult,
} from '../../src/stats/index.js';
import {
  deviationReport,
  expectClose,
  fixtures,
  requestFor,
  type ReferenceEffect,
} from './fixture-helpers.js';

function expectEffect(
  actual: EffectResult,
  expected: ReferenceEffect,
  label: string,
  withPValue = true,
): void {
  expectClose(actual.estimate, expected.estimate, `${label} estimate`);
  expectClose(actual.se, expected.se, `${label} se`);
  expectClose(actual.ci[0], expected.ci[0], `${label} ci lower`);
  expectClose(actual.ci[1], expected.ci[1], `${label} ci upper`);
  if (withPValue) expectClose(actual.pValue, expected.pValue ?? null, `${label} pValue`);
}

afterAll(() => {
  console.info(`reference fixtures (${JSON.stringify(fixtures.versions)}): ${deviationReport()}`);
});

describe('fixed-horizon Welch tests and delta-method relative effects', () => {
  it.each(fixtures.welch.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [comparison] = analyze(requestFor(c, { sequential: false })).comparisons;
    expectEffect(comparison.absolute, c.absolute, 'absolute');
    expectEffect(comparison.relative, c.relative, 'relative');
    const a = summarize(c.control, c.kind);
    const b = summarize(c.treatment, c.kind);
    expect(a && b).toBeTruthy();
    if (!a || !b) return;
    expectClose(absoluteEffect(a, b).df, c.absolute.df ?? null, 'absolute df');
    expectClose(relativeEffect(a, b)?.df, c.relative.df ?? null, 'relative df');
  });
});

describe('CUPED against an ANCOVA regression', () => {
  it.each(fixtures.cuped.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [comparison] = analyze(requestFor(c, { sequential: false, cuped: true })).comparisons;
    expectEffect(comparison.absolute, c.absolute, 'absolute');
    expectEffect(comparison.relative, c.relative, 'relative');
    const { pre: preA } = c.control;
    const { pre: preB } = c.treatment;
    if (!preA || !preB) throw new Error('fixture without pre-period sums');
    const adjusted = cupedAdjust(
      { ...c.control, pre: preA },
      { ...c.treatment, pre: preB },
      c.kind === 'binomial' ? 'binomial' : 'mean',
    );
    expectClose(adjusted?.theta, c.theta ?? null, 'theta');
    expectClose(adjusted?.control.mean, c.adjustedMeans?.[0] ?? null, 'adjusted control mean');
    expectClose(adjusted?.treatment.mean, c.adjustedMeans?.[1] ?? null, 'adjusted treatment mean');
  });
});

describe('sequential confidence sequences and always-valid p-values', () => {
  it.each(fixtures.sequential.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [comparison] = analyze(requestFor(c, { sequential: true, sequentialTuning: c.tuning })).comparisons;
    expectEffect(comparison.absolute, c.absolute, 'absolute');
    expectEffect(comparison.relative, c.relative, 'relative');
    expectClose(mixtureRho(c.alpha, c.tuning), c.absolute.rho ?? null, 'rho');
  });
});

describe('Bayesian engine', () => {
  it.each(fixtures.bayesian.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [comparison] = analyze(requestFor(c, { engine: 'bayesian', prior: c.prior })).comparisons;
    expectEffect(comparison.absolute, c.absolute, 'absolute', false);
    expectEffect(comparison.relative, c.relative, 'relative', false);
    expect(comparison.absolute.pValue).toBeNull();
    expectClose(comparison.chanceToWin, c.chanceToWin ?? null, 'chanceToWin');
    expectClose(comparison.risk?.[0], c.risk?.[0] ?? null, 'risk control');
    expectClose(comparison.risk?.[1], c.risk?.[1] ?? null, 'risk treatment');
  });
});

describe('sample-ratio mismatch', () => {
  it.each(fixtures.srm.map((c) => [c.counts.join('/'), c] as const))('%s', (_name, c) => {
    const chi = srmTest(c.counts, c.weights);
    expectClose(chi.statistic, c.statistic, 'chi-square statistic');
    expectClose(chi.pValue, c.pValue, 'chi-square p');
    expect(chi.healthy).toBe(c.healthy);
    const seq = sequentialSrmTest(c.counts, c.weights, { concentration: c.sequential.concentration });
    expectClose(seq.logBayesFactor, c.sequential.logBayesFactor, 'log Bayes factor');
    expectClose(seq.pValue, c.sequential.pValue, 'sequential SRM p');
  });
});

describe('multiple-comparison corrections', () => {
  it.each(fixtures.corrections.map((c, i) => [`${c.method} #${i}`, c] as const))('%s', (_name, c) => {
    const adjusted = c.method === 'holm' ? holm(c.pValues) : benjaminiHochberg(c.pValues);
    adjusted.forEach((p, i) => expectClose(p, c.adjusted[i], `adjusted p[${i}]`));
    expect(adjusted.map((p) => p <= 0.05)).toEqual(c.rejected);
    expectClose(adjustedIntervalAlpha(c.pValues, 0.05, c.method), c.intervalAlpha, 'interval alpha');
  });
});

describe('power and minimum detectable effect (statsmodels NormalIndPower conventions)', () => {
  it.each(fixtures.power.map((c) => [`${c.effect}/${c.n}/${c.sided}`, c] as const))('%s', (_name, c) => {
    const input = { variance: c.variance, n: c.n, ratio: c.ratio, alpha: c.alpha, sided: c.sided };
    expectClose(power({ ...input, effect: c.effect }), c.power, 'power');
    expectClose(minimumDetectableEffect(input), c.mde, 'mde');
    const { n: _n, ...withoutN } = input;
    expectClose(requiredSampleSize({ ...withoutN, effect: c.effect }), c.sampleSize, 'sample size');
    expectClose(
      power({ ...input, effect: c.effect, sequential: true }),
      c.sequentialPower,
      'sequential power',
    );
    expectClose(minimumDetectableEffect({ ...input, sequential: true }), c.sequentialMde, 'sequential mde');
  });
});

describe('corrected families: adjusted p-values and intervals across goal metrics × variations', () => {
  it.each(fixtures.family.map((c) => [c.method, c] as const))('%s', (_name, c) => {
    const requests = c.metrics.map((arms) => ({
      metric: { kind: 'mean' as const, direction: 'higher' as const },
      variations: arms.map((arm, i) => ({ key: `v${i}`, weight: 1, ...arm })),
      settings: { alpha: c.alpha, sequential: false },
    }));
    const comparisons = analyzeFamily(requests, { method: c.method }).flatMap((r) => r.comparisons);
    expect(comparisons).toHaveLength(c.absolute.length);
    comparisons.forEach((comparison, k) => {
      for (const which of ['absolute', 'relative'] as const) {
        const expected = c[which][k]!;
        expectClose(comparison[which].pValue, expected.pValue, `${which}[${k}] adjusted p`);
        expectClose(comparison[which].ci[0], expected.ci[0], `${which}[${k}] adjusted ci lower`);
        expectClose(comparison[which].ci[1], expected.ci[1], `${which}[${k}] adjusted ci upper`);
      }
    });
  });
});
