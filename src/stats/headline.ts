import type { Comparison, Direction, Interval, ResolvedSettings } from './types.js';
import { verdict, type Verdict } from './verdict.js';

export type HeadlineEffect = 'relative' | 'absolute';

/** The one answer of a comparison: the effect a metric reports, its interval and its call. */
export interface Headline {
  effect: HeadlineEffect;
  estimate: number | null;
  ci: Interval;
  /** Frequentist engine; adjusted when the metric's family is corrected. */
  pValue?: number | null;
  /** Bayesian engine. */
  chanceToWin?: number | null;
  verdict: Verdict;
  /** What kind of interval `ci` is: valid at every look, at one planned look, or a posterior one. */
  interval: 'always-valid' | 'fixed-horizon' | 'credible';
}

export interface HeadlineOptions {
  direction: Direction;
  /** Which effect the metric reports; the other is used only when it is unavailable. */
  effect: HeadlineEffect;
  settings: Pick<ResolvedSettings, 'alpha' | 'engine' | 'sequential'>;
}

/**
 * The headline of a comparison: the metric's chosen effect (relative by default; absolute when the
 * relative one cannot be formed, e.g. a control mean of 0) with its interval, p-value or chance to
 * win, and the direction-aware verdict.
 *
 * @example
 * headline(comparison, { direction: 'higher', effect: 'relative', settings });
 * // { effect: 'relative', estimate: 0.39, ci: [0.12, 0.66], pValue: 0.003, verdict: 'winning', interval: 'always-valid' }
 */
export function headline(comparison: Comparison, { direction, effect, settings }: HeadlineOptions): Headline {
  const other = effect === 'relative' ? 'absolute' : 'relative';
  const chosen = comparison[effect].estimate === null && comparison[other].estimate !== null ? other : effect;
  const result = comparison[chosen];
  const bayesian = comparison.chanceToWin !== undefined;
  return {
    effect: chosen,
    estimate: result.estimate,
    ci: result.ci,
    ...(bayesian ? { chanceToWin: comparison.chanceToWin } : { pValue: result.pValue }),
    verdict: verdict(comparison, { direction, alpha: settings.alpha, effect: chosen }),
    interval: bayesian ? 'credible' : settings.sequential ? 'always-valid' : 'fixed-horizon',
  };
}
