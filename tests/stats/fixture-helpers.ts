import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { AnalyzeRequest, CrossMoments, Sided } from '../../src/stats/index.js';

/**
 * Agreement with the scipy/statsmodels reference: |actual − expected| ≤ 1e-6 · max(|expected|, 1e-3),
 * i.e. 1e-6 relative for anything of size 1e-3 or more and 1e-9 absolute below that (tiny p-values,
 * where jstat's normal tail — computed as 1 − erf — has absolute, not relative, accuracy).
 */
export const RELATIVE_TOLERANCE = 1e-6;
export const ABSOLUTE_FLOOR = 1e-3;

let maxRelativeDeviation = 0;
let worst = '';
let comparisons = 0;

export function expectClose(actual: number | null | undefined, expected: number | null, label: string): void {
  if (expected === null) {
    expect(actual, label).toBeNull();
    return;
  }
  expect(actual, label).toBeTypeOf('number');
  const deviation = Math.abs((actual as number) - expected) / Math.max(Math.abs(expected), ABSOLUTE_FLOOR);
  comparisons += 1;
  if (deviation > maxRelativeDeviation) {
    maxRelativeDeviation = deviation;
    worst = label;
  }
  expect(deviation, `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(RELATIVE_TOLERANCE);
}

export function deviationReport(): string {
  return `${comparisons} values compared, max scaled deviation ${maxRelativeDeviation.toExponential(2)} (${worst})`;
}

export interface ArmSums {
  n: number;
  sum: number;
  sumSquares: number;
  pre?: CrossMoments;
  denominator?: CrossMoments;
}

export interface ReferenceEffect {
  estimate: number;
  se: number;
  df?: number;
  pValue?: number;
  ci: [number | null, number | null];
  rho?: number;
  multiplier?: number;
}

export interface ReferenceCase {
  name: string;
  kind: 'mean' | 'binomial' | 'ratio';
  alpha: number;
  sided: Sided;
  control: ArmSums;
  treatment: ArmSums;
  absolute: ReferenceEffect;
  relative: ReferenceEffect;
  tuning?: number;
  theta?: number;
  adjustedMeans?: [number, number];
  direction?: 'higher' | 'lower';
  prior?: { mean: number; variance: number } | null;
  chanceToWin?: number;
  risk?: [number, number];
}

export interface Fixtures {
  versions: Record<string, string>;
  welch: ReferenceCase[];
  cuped: ReferenceCase[];
  sequential: ReferenceCase[];
  bayesian: ReferenceCase[];
  srm: {
    counts: number[];
    weights: number[];
    statistic: number;
    pValue: number;
    healthy: boolean;
    sequential: { concentration: number; logBayesFactor: number; pValue: number };
  }[];
  corrections: {
    method: 'holm' | 'benjamini-hochberg';
    pValues: number[];
    adjusted: number[];
    rejected: boolean[];
    intervalAlpha: number;
  }[];
  power: {
    effect: number;
    variance: number;
    n: number;
    ratio: number;
    alpha: number;
    sided: Sided;
    power: number;
    mde: number;
    sampleSize: number;
    sequentialPower: number;
    sequentialMde: number;
  }[];
  family: {
    method: 'holm' | 'benjamini-hochberg';
    alpha: number;
    /** Per goal metric, the sums of the control and each treatment. */
    metrics: ArmSums[][];
    /** Per comparison, metrics × treatments in order. */
    absolute: { pValue: number; ci: [number, number] }[];
    relative: { pValue: number; ci: [number, number] }[];
  }[];
}

export const fixtures = JSON.parse(
  readFileSync(new URL('./reference/fixtures.json', import.meta.url), 'utf8'),
) as Fixtures;

export function requestFor(c: ReferenceCase, settings: AnalyzeRequest['settings']): AnalyzeRequest {
  return {
    metric: { kind: c.kind, direction: c.direction ?? 'higher' },
    variations: [
      { key: 'control', weight: 1, ...c.control },
      { key: 'treatment', weight: 1, ...c.treatment },
    ],
    settings: { alpha: c.alpha, sided: c.sided, ...settings },
  };
}
