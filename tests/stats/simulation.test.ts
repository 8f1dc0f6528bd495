import { describe, expect, it } from 'vitest';
import { analyze, sequentialSrmTest, srmTest, type AnalyzeRequest } from '../../src/stats/index.js';
import { Accumulator, binomialBand, mulberry32, normalSampler } from './simulation-helpers.js';

const ALPHA = 0.05;
/**
 * The analyses these simulations mean, spelled out: the defaults (ANALYSIS_DEFAULTS) are sequential,
 * and CUPED wherever the variations carry pre-period sums, which `Accumulator.variation` always does.
 */
const FIXED_HORIZON = { sequential: false, cuped: false } as const;
const SEQUENTIAL = { sequential: true, cuped: false } as const;

function request(a: Accumulator, b: Accumulator, settings: AnalyzeRequest['settings']): AnalyzeRequest {
  return {
    metric: { kind: 'mean', direction: 'higher' },
    variations: [a.variation('control'), b.variation('treatment')],
    settings: { alpha: ALPHA, ...settings },
  };
}

describe('A/A test with daily peeking over 30 days', () => {
  // 1 500 simulated experiments × 30 daily looks, 60 units per arm per day (N = 3 600 at the end,
  // near N* = 5 000). Expected rates: fixed-horizon ≈ 0.25, sequential ≈ 0.01; the assertions sit
  // many binomial standard deviations (≈ 0.006) away from both.
  const experiments = 1500;
  const days = 30;
  const unitsPerDay = 60;

  it('keeps the sequential false-positive rate at or below α while repeated fixed-horizon tests exceed it', () => {
    const draw = normalSampler(mulberry32(20261123));
    let fixedFalsePositives = 0;
    let sequentialFalsePositives = 0;
    for (let e = 0; e < experiments; e++) {
      const a = new Accumulator();
      const b = new Accumulator();
      let fixedRejected = false;
      let sequentialRejected = false;
      for (let day = 0; day < days; day++) {
        for (let u = 0; u < unitsPerDay; u++) {
          a.add(10 + 3 * draw());
          b.add(10 + 3 * draw());
        }
        if (!fixedRejected) {
          const p = analyze(request(a, b, FIXED_HORIZON)).comparisons[0].absolute.pValue;
          fixedRejected = p !== null && p < ALPHA;
        }
        if (!sequentialRejected) {
          const p = analyze(request(a, b, SEQUENTIAL)).comparisons[0].absolute.pValue;
          sequentialRejected = p !== null && p < ALPHA;
        }
      }
      if (fixedRejected) fixedFalsePositives += 1;
      if (sequentialRejected) sequentialFalsePositives += 1;
    }
    const fixedRate = fixedFalsePositives / experiments;
    const sequentialRate = sequentialFalsePositives / experiments;
    console.info(
      `A/A peeking: fixed-horizon FPR ${fixedRate.toFixed(4)}, sequential FPR ${sequentialRate.toFixed(4)}`,
    );
    expect(sequentialRate).toBeLessThanOrEqual(ALPHA);
    expect(fixedRate).toBeGreaterThan(2 * ALPHA);
  });
});

describe('interval coverage with a known effect', () => {
  const controlMean = 10;
  const effect = 0.4;
  const covers = (ci: [number | null, number | null], truth: number) =>
    (ci[0] === null || ci[0] <= truth) && (ci[1] === null || truth <= ci[1]);

  /** Skewed outcome (centred exponential noise) plus a pre-period covariate correlated with it. */
  function unitSampler(seed: number) {
    const uniform = mulberry32(seed);
    const draw = normalSampler(uniform);
    return (shift: number): [number, number] => {
      const pre = draw();
      const noise = -Math.log(1 - uniform()) - 1;
      return [controlMean + shift + 2 * pre + 2 * noise, pre];
    };
  }

  it('covers the true absolute and relative effect at the nominal rate (Welch, CUPED, flat-prior Bayes)', () => {
    const experiments = 2000;
    const n = 400;
    const [low, high] = binomialBand(1 - ALPHA, experiments);
    const unit = unitSampler(7);
    const hits = { absolute: 0, relative: 0, cuped: 0, cupedRelative: 0, bayesian: 0 };
    for (let e = 0; e < experiments; e++) {
      const a = new Accumulator();
      const b = new Accumulator();
      for (let u = 0; u < n; u++) {
        a.add(...unit(0));
        b.add(...unit(effect));
      }
      const [plain] = analyze(request(a, b, FIXED_HORIZON)).comparisons;
      const [cuped] = analyze(request(a, b, { ...FIXED_HORIZON, cuped: true })).comparisons;
      const [bayes] = analyze(request(a, b, { engine: 'bayesian', cuped: false })).comparisons;
      if (covers(plain.absolute.ci, effect)) hits.absolute += 1;
      if (covers(plain.relative.ci, effect / controlMean)) hits.relative += 1;
      if (covers(cuped.absolute.ci, effect)) hits.cuped += 1;
      if (covers(cuped.relative.ci, effect / controlMean)) hits.cupedRelative += 1;
      if (covers(bayes.absolute.ci, effect)) hits.bayesian += 1;
    }
    const rates = Object.fromEntries(Object.entries(hits).map(([k, v]) => [k, v / experiments]));
    console.info(
      `coverage (nominal 0.95, band [${low.toFixed(4)}, ${high.toFixed(4)}]): ${JSON.stringify(rates)}`,
    );
    for (const [key, rate] of Object.entries(rates)) {
      expect(rate, key).toBeGreaterThanOrEqual(low);
      expect(rate, key).toBeLessThanOrEqual(high);
    }
  });

  it('covers the true effect at the nominal rate for a conversion rate (binomial, p(1 − p) variance)', () => {
    const experiments = 2000;
    const n = 2000;
    const [pA, pB] = [0.1, 0.12];
    const [low, high] = binomialBand(1 - ALPHA, experiments);
    const uniform = mulberry32(3);
    let absoluteHits = 0;
    let relativeHits = 0;
    for (let e = 0; e < experiments; e++) {
      let convA = 0;
      let convB = 0;
      for (let u = 0; u < n; u++) {
        if (uniform() < pA) convA += 1;
        if (uniform() < pB) convB += 1;
      }
      const [c] = analyze({
        metric: { kind: 'binomial', direction: 'higher' },
        variations: [
          { key: 'control', weight: 1, n, sum: convA, sumSquares: convA },
          { key: 'treatment', weight: 1, n, sum: convB, sumSquares: convB },
        ],
        settings: { alpha: ALPHA, sequential: false },
      }).comparisons;
      if (covers(c.absolute.ci, pB - pA)) absoluteHits += 1;
      if (covers(c.relative.ci, (pB - pA) / pA)) relativeHits += 1;
    }
    const rates = { absolute: absoluteHits / experiments, relative: relativeHits / experiments };
    console.info(`binomial coverage (nominal 0.95): ${JSON.stringify(rates)}`);
    for (const [key, rate] of Object.entries(rates)) {
      expect(rate, key).toBeGreaterThanOrEqual(low);
      expect(rate, key).toBeLessThanOrEqual(high);
    }
  });

  it('covers the true effect at every one of 30 daily looks at least at the nominal rate (sequential)', () => {
    const experiments = 1000;
    const [low] = binomialBand(1 - ALPHA, experiments);
    const unit = unitSampler(11);
    let alwaysCovered = 0;
    let oneSidedCovered = 0;
    for (let e = 0; e < experiments; e++) {
      const a = new Accumulator();
      const b = new Accumulator();
      let ok = true;
      let okOneSided = true;
      for (let day = 0; day < 30; day++) {
        for (let u = 0; u < 40; u++) {
          a.add(...unit(0));
          b.add(...unit(effect));
        }
        const [two] = analyze(request(a, b, SEQUENTIAL)).comparisons;
        const [greater] = analyze(request(a, b, { ...SEQUENTIAL, sided: 'greater' })).comparisons;
        ok &&= covers(two.absolute.ci, effect);
        okOneSided &&= covers(greater.absolute.ci, effect);
      }
      if (ok) alwaysCovered += 1;
      if (okOneSided) oneSidedCovered += 1;
    }
    const rate = alwaysCovered / experiments;
    const oneSidedRate = oneSidedCovered / experiments;
    console.info(
      `sequential time-uniform coverage: two-sided ${rate.toFixed(4)}, one-sided ${oneSidedRate.toFixed(4)}`,
    );
    expect(rate).toBeGreaterThanOrEqual(low);
    expect(oneSidedRate).toBeGreaterThanOrEqual(low);
  });
});

describe('sequential SRM under continuous monitoring', () => {
  it('keeps its false-alarm rate at or below α when checked after every 50 units', () => {
    const uniform = mulberry32(99);
    const experiments = 500;
    const alpha = 0.05;
    let sequentialAlarms = 0;
    let chiSquareAlarms = 0;
    for (let e = 0; e < experiments; e++) {
      const counts = [0, 0];
      let sequentialAlarm = false;
      let chiSquareAlarm = false;
      for (let unit = 1; unit <= 10000; unit++) {
        counts[uniform() < 0.5 ? 0 : 1] += 1;
        if (unit % 50 !== 0) continue;
        sequentialAlarm ||= sequentialSrmTest(counts, [1, 1]).pValue < alpha;
        chiSquareAlarm ||= (srmTest(counts, [1, 1]).pValue ?? 1) < alpha;
      }
      if (sequentialAlarm) sequentialAlarms += 1;
      if (chiSquareAlarm) chiSquareAlarms += 1;
    }
    const sequentialRate = sequentialAlarms / experiments;
    const chiSquareRate = chiSquareAlarms / experiments;
    console.info(
      `SRM monitoring (α = 0.05): sequential ${sequentialRate.toFixed(4)}, repeated χ² ${chiSquareRate.toFixed(4)}`,
    );
    expect(sequentialRate).toBeLessThanOrEqual(alpha);
    expect(chiSquareRate).toBeGreaterThan(2 * alpha);
  });
});
