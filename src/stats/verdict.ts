import type { Comparison, Direction } from './types.js';

export type Verdict = 'winning' | 'losing' | 'inconclusive';

export interface VerdictOptions {
  direction: Direction;
  /** Significance level; 0.05 when omitted. */
  alpha?: number;
  /** Which effect decides; the relative one by default, the absolute one when it is unavailable. */
  effect?: 'relative' | 'absolute';
}

/**
 * Direction-aware call on one comparison. Frequentist: significant (p < α) and the estimate on the
 * good side of 0 for the metric's direction is `winning`, on the bad side `losing`. Bayesian (when
 * `chanceToWin` is present): `winning` when the chance to win is at least 1 − α, `losing` when it is
 * at most α. Everything else, including missing values, is `inconclusive`.
 *
 * @example
 * verdict(response.comparisons[0], { direction: 'lower', alpha: 0.05 }); // 'winning' for a significant drop
 */
export function verdict(
  comparison: Comparison,
  { direction, alpha = 0.05, effect = 'relative' }: VerdictOptions,
): Verdict {
  if (comparison.chanceToWin !== undefined) {
    const chance = comparison.chanceToWin;
    if (chance === null) return 'inconclusive';
    if (chance >= 1 - alpha) return 'winning';
    return chance <= alpha ? 'losing' : 'inconclusive';
  }
  const preferred = comparison[effect];
  const result =
    preferred.pValue === null ? comparison[effect === 'relative' ? 'absolute' : 'relative'] : preferred;
  if (
    result.pValue === null ||
    result.estimate === null ||
    !(result.pValue < alpha) ||
    result.estimate === 0
  ) {
    return 'inconclusive';
  }
  const better = direction === 'higher' ? result.estimate > 0 : result.estimate < 0;
  return better ? 'winning' : 'losing';
}
