import { describe, expect, it } from 'vitest';
import {
  minimumDetectableEffect,
  mixtureRho,
  power,
  requiredSampleSize,
  sequentialMultiplier,
  sequentialSrmTest,
  sequentialTest,
} from '../../src/stats/index.js';

describe('normal-mixture tuning', () => {
  it('ρ from N* makes the boundary (approximately) tightest at N = N*', () => {
    for (const [alpha, tuning] of [
      [0.05, 5000],
      [0.01, 20000],
      [0.1, 1000],
    ]) {
      const rho = mixtureRho(alpha, tuning);
      const at = (r: number) => sequentialMultiplier(tuning, r, alpha);
      expect(at(rho)).toBeLessThan(at(rho * 1.2));
      expect(at(rho)).toBeLessThan(at(rho / 1.2));
    }
  });

  it('the always-valid p-value is the α at which the sequence touches 0', () => {
    const rho = mixtureRho(0.05, 5000);
    const est = { estimate: 0.3, se: 0.1, df: Infinity };
    for (const sided of ['two', 'greater'] as const) {
      const { pValue } = sequentialTest(est, { alpha: 0.05, sided, n: 4000, rho });
      const atP = sequentialTest(est, { alpha: pValue, sided, n: 4000, rho });
      expect(atP.ci[0]).toBeCloseTo(0, 10);
    }
  });
});

describe('planning round trips', () => {
  it.each([
    ['fixed two-sided', { sided: 'two' as const }],
    ['fixed one-sided', { sided: 'greater' as const }],
    ['sequential two-sided', { sided: 'two' as const, sequential: true }],
    ['sequential one-sided', { sided: 'greater' as const, sequential: true }],
  ])('%s: the MDE at n has 80 %% power, and n is the sample size for that effect', (_name, options) => {
    const base = { variance: 0.09, alpha: 0.05, ...options };
    const mde = minimumDetectableEffect({ ...base, n: 5000 });
    expect(power({ ...base, n: 5000, effect: mde })).toBeCloseTo(0.8, 9);
    expect(requiredSampleSize({ ...base, effect: mde })).toBeCloseTo(5000, 4);
  });

  it('sequential plans need more units than fixed-horizon ones', () => {
    const base = { variance: 1, effect: 0.05 };
    expect(requiredSampleSize({ ...base, sequential: true })).toBeGreaterThan(requiredSampleSize(base));
  });
});

describe('sequential SRM', () => {
  it('stays quiet on the configured split and alarms on a 2 % imbalance', () => {
    expect(sequentialSrmTest([5010, 4990], [1, 1]).healthy).toBe(true);
    expect(sequentialSrmTest([30300, 29700], [1, 1]).pValue).toBeGreaterThan(0.001);
    expect(sequentialSrmTest([51000, 49000], [1, 1]).healthy).toBe(false);
    expect(sequentialSrmTest([2000, 8000], [1, 4]).healthy).toBe(true);
  });
});
