// Health of an experiment's data: sample-ratio mismatch, units in several variations, thin data.
import { sequentialSrmTest, srmTest, SRM_THRESHOLD } from '../stats/index.ts';
import type { UnitCounts } from './analysis-tables.ts';

export type HealthStatus = 'ok' | 'warning' | 'unhealthy';

export interface HealthCheck {
  check: 'srm' | 'multiple_exposures' | 'not_enough_data' | 'unknown_variation';
  status: HealthStatus;
  message: string;
  details: Record<string, number | null>;
}

export interface Health {
  healthy: boolean;
  checks: HealthCheck[];
}

/** Fewer units than this in an arm: too little data to read much into the results. */
export const MIN_UNITS_PER_ARM = 100;
/** Share of units in several variations above which the split is suspect (a warning below it). */
export const MULTIPLE_EXPOSURES_UNHEALTHY = 0.05;

const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;

export function srmCheck(keys: string[], units: number[], weights: number[]): HealthCheck {
  const chi = srmTest(units, weights);
  const seq = sequentialSrmTest(units, weights);
  const total = units.reduce((s, u) => s + u, 0);
  const wTotal = weights.reduce((s, w) => s + w, 0);
  const split = keys.map((k, i) => `${k} ${pct(total ? units[i]! / total : 0)}`).join(', ');
  const expected = keys.map((k, i) => `${k} ${pct(weights[i]! / wTotal)}`).join(', ');
  const unhealthy = !chi.healthy || !seq.healthy;
  const message =
    chi.pValue === null
      ? 'No units yet: nothing to check the traffic split against.'
      : unhealthy
        ? `Sample ratio mismatch: the units split ${split} where ${expected} was configured ` +
          `(χ² p = ${chi.pValue.toExponential(2)}, sequential p = ${seq.pValue.toExponential(2)}; ` +
          `threshold ${SRM_THRESHOLD}). Assignment or exposure logging is likely broken; do not trust the results until it is fixed.`
        : `The units split ${split}, as configured (${expected}).`;
  return {
    check: 'srm',
    status: unhealthy ? 'unhealthy' : 'ok',
    message,
    details: {
      pValue: chi.pValue,
      sequentialPValue: chi.pValue === null ? null : seq.pValue,
      statistic: chi.statistic,
    },
  };
}

export function multipleExposuresCheck(counts: UnitCounts): HealthCheck {
  const share = counts.total ? counts.multipleVariations / counts.total : 0;
  const status: HealthStatus =
    counts.multipleVariations === 0 ? 'ok' : share > MULTIPLE_EXPOSURES_UNHEALTHY ? 'unhealthy' : 'warning';
  const message =
    counts.multipleVariations === 0
      ? 'No unit was seen in more than one variation.'
      : `${counts.multipleVariations} of ${counts.total} units (${pct(share)}) were seen in more than one variation; ` +
        'they are left out of the analysis. Check that the hash attribute is stable and that sticky bucketing is not mixed with weight changes.';
  return {
    check: 'multiple_exposures',
    status,
    message,
    details: { units: counts.multipleVariations, share },
  };
}

export function unknownVariationCheck(counts: UnitCounts): HealthCheck {
  return {
    check: 'unknown_variation',
    status: counts.unknownVariation ? 'warning' : 'ok',
    message: counts.unknownVariation
      ? `${counts.unknownVariation} units were exposed to a variation the experiment does not define; they are left out.`
      : 'Every exposure names one of the experiment’s variations.',
    details: { units: counts.unknownVariation },
  };
}

/** Thin data: an arm under MIN_UNITS_PER_ARM units, or a goal metric with no conversions in an arm. */
export function enoughDataCheck(
  keys: string[],
  units: number[],
  goalMetricsWithoutData: string[],
): HealthCheck {
  const small = keys.filter((_, i) => units[i]! < MIN_UNITS_PER_ARM);
  const problems: string[] = [];
  if (small.length) problems.push(`fewer than ${MIN_UNITS_PER_ARM} units in ${small.join(', ')}`);
  if (goalMetricsWithoutData.length)
    problems.push(`no conversions yet for ${goalMetricsWithoutData.join(', ')} in an arm`);
  return {
    check: 'not_enough_data',
    status: problems.length ? 'warning' : 'ok',
    message: problems.length
      ? `Not enough data yet: ${problems.join('; ')}. Results will move a lot; keep the experiment running.`
      : `Every arm has at least ${MIN_UNITS_PER_ARM} units.`,
    details: { smallestArm: units.length ? Math.min(...units) : 0 },
  };
}
