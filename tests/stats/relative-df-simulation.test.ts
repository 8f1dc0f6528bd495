import { describe, expect, it } from 'vitest';
import { relativeEffect, satterthwaiteDf, summarize, tTest, type ArmSummary } from '../../src/stats/index.js';
import { binomialBand, mulberry32, normalSampler } from './simulation-helpers.js';

/**
 * Which degrees of freedom the relative effect's t interval takes at small n (issue 12, point 6).
 *
 * - new (the engine's, gbstats' convention): Welch's df from the arms' variances, sA²/nA and sB²/nB;
 * - old (the engine's until then): Satterthwaite on the two delta-method components,
 *   μB²·sA²/(nA·μA⁴) and sB²/(nB·μA²).
 *
 * Both intervals are formed on the same simulated experiments (same estimate and standard error, only
 * the df differs), so their coverages differ only where an interval end falls between the two; the
 * `discordant` count says how often. Seeded: the figures are the same on every run.
 */

const ALPHA = 0.05;
const EXPERIMENTS = 20000;

type Shape = 'normal' | 'lognormal';

interface Scenario {
  shape: Shape;
  /** Units in the control and the treatment. */
  n: [number, number];
  /** Means of the control and the treatment (a +30 % lift). */
  mean: [number, number];
  /** Coefficients of variation (sd / mean) of the control and the treatment. */
  cv: [number, number];
  /** How far below 0.95 the coverage may fall; `null`: only the two conventions are compared. */
  slack: number | null;
}

const LIFT: [number, number] = [10, 13];

const SCENARIOS: Scenario[] = [
  { shape: 'normal', n: [20, 20], mean: LIFT, cv: [0.3, 0.46], slack: 0 },
  { shape: 'normal', n: [20, 50], mean: LIFT, cv: [0.5, 0.23], slack: 0 },
  { shape: 'normal', n: [50, 20], mean: LIFT, cv: [0.3, 0.46], slack: 0 },
  // Skewed (lognormal, skewness ≈ 1.6 at CV 0.5): the delta-method interval itself undercovers a
  // little at these n, whatever the df; hence the slack.
  { shape: 'lognormal', n: [20, 20], mean: LIFT, cv: [0.5, 0.5], slack: 0.02 },
  { shape: 'lognormal', n: [20, 50], mean: LIFT, cv: [0.5, 0.5], slack: 0.02 },
  { shape: 'lognormal', n: [50, 20], mean: LIFT, cv: [0.5, 0.5], slack: 0.02 },
  // Heavily skewed (CV 1, skewness 4): both undercover clearly; reported, not held to 0.95.
  { shape: 'lognormal', n: [20, 50], mean: LIFT, cv: [1, 1], slack: null },
  { shape: 'lognormal', n: [50, 50], mean: LIFT, cv: [1, 1], slack: null },
];

/** The former convention, kept here only to measure it against the engine's. */
function deltaComponentsDf(control: ArmSummary, treatment: ArmSummary): number {
  const muA = control.mean;
  const vB = treatment.variance / (treatment.n * muA * muA);
  const vA = (treatment.mean * treatment.mean * control.variance) / (control.n * muA ** 4);
  return satterthwaiteDf(vA, vB, control.n, treatment.n);
}

function sampler(shape: Shape, seed: number): (mean: number, cv: number) => number {
  const draw = normalSampler(mulberry32(seed));
  if (shape === 'normal') return (mean, cv) => mean + mean * cv * draw();
  return (mean, cv) => {
    const sigma = Math.sqrt(Math.log(1 + cv * cv));
    return mean * Math.exp(sigma * draw() - (sigma * sigma) / 2);
  };
}

interface Figures {
  label: string;
  coverage: { welch: number; deltaComponents: number };
  meanDf: { welch: number; deltaComponents: number };
  discordant: number;
}

function simulate(s: Scenario, seed: number): Figures {
  const draw = sampler(s.shape, seed);
  const truth = s.mean[1] / s.mean[0] - 1;
  const arm = (i: 0 | 1): ArmSummary => {
    let sum = 0;
    let sumSquares = 0;
    for (let u = 0; u < s.n[i]; u++) {
      const x = draw(s.mean[i], s.cv[i]);
      sum += x;
      sumSquares += x * x;
    }
    const summary = summarize({ n: s.n[i], sum, sumSquares }, 'mean');
    if (!summary) throw new Error('an arm without a summary');
    return summary;
  };
  const covers = (ci: [number | null, number | null]) =>
    ci[0] !== null && ci[1] !== null && ci[0] <= truth && truth <= ci[1];
  let welch = 0;
  let delta = 0;
  let dfWelch = 0;
  let dfDelta = 0;
  let discordant = 0;
  for (let e = 0; e < EXPERIMENTS; e++) {
    const control = arm(0);
    const treatment = arm(1);
    const rel = relativeEffect(control, treatment);
    if (!rel) throw new Error('a control mean of 0');
    const oldDf = deltaComponentsDf(control, treatment);
    const coveredWelch = covers(tTest(rel, { alpha: ALPHA, sided: 'two' }).ci);
    const coveredDelta = covers(tTest({ ...rel, df: oldDf }, { alpha: ALPHA, sided: 'two' }).ci);
    welch += Number(coveredWelch);
    delta += Number(coveredDelta);
    discordant += Number(coveredWelch !== coveredDelta);
    dfWelch += rel.df;
    dfDelta += oldDf;
  }
  return {
    label: `${s.shape} CV ${s.cv.join('/')} n ${s.n.join('/')}`,
    coverage: { welch: welch / EXPERIMENTS, deltaComponents: delta / EXPERIMENTS },
    meanDf: { welch: dfWelch / EXPERIMENTS, deltaComponents: dfDelta / EXPERIMENTS },
    discordant,
  };
}

describe('relative effect at small n: coverage under the two degrees-of-freedom conventions', () => {
  it('covers at the nominal rate with Welch df (the engine) as with Satterthwaite on the delta components', () => {
    const [low, high] = binomialBand(1 - ALPHA, EXPERIMENTS);
    const results = SCENARIOS.map((s, i) => ({ s, f: simulate(s, 1000 + i) }));
    const lines = results.map(
      ({ f }) =>
        `  ${f.label.padEnd(30)} welch ${f.coverage.welch.toFixed(4)} (df ${f.meanDf.welch.toFixed(1)})` +
        `  delta-components ${f.coverage.deltaComponents.toFixed(4)} (df ${f.meanDf.deltaComponents.toFixed(1)})` +
        `  discordant ${f.discordant}/${EXPERIMENTS}`,
    );
    console.info(
      `relative-effect coverage (nominal 0.95, ${EXPERIMENTS} experiments each, binomial band ` +
        `[${low.toFixed(4)}, ${high.toFixed(4)}]):\n${lines.join('\n')}`,
    );
    for (const { s, f } of results) {
      // Same data, same estimate and se: the conventions can only part where an end lies between
      // the two intervals' ends, which the df (tens, close to each other) makes rare.
      expect(Math.abs(f.coverage.welch - f.coverage.deltaComponents), f.label).toBeLessThanOrEqual(0.005);
      if (s.slack === null) continue;
      for (const rate of [f.coverage.welch, f.coverage.deltaComponents]) {
        expect(rate, f.label).toBeGreaterThanOrEqual(low - s.slack);
        expect(rate, f.label).toBeLessThanOrEqual(high);
      }
    }
  });
});
