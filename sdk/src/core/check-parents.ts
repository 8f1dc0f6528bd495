// Prerequisites: a rule (or experiment) applies only when other flags evaluate to matching values.
// The chain of flags being evaluated travels along as a stack so that cycles are detected per path
// (two rules may depend on the same parent without that being a cycle).
import type { CompiledParent, CompiledRuleset } from './compiled-types.js';
import { evaluateFeature } from './evaluate.js';
import type { EvaluationContext, Exposure } from './types.js';

export const PARENTS_PASS = 0;
export const PARENTS_SKIP = 1;
export const PARENTS_GATE = 2;
export const PARENTS_CYCLIC = 3;

/** One of the PARENTS_* outcomes. */
export type ParentsOutcome = 0 | 1 | 2 | 3;

/**
 * Evaluates the parents of a rule of feature `key`. PASS: all matched; SKIP: a non-gating parent
 * did not (skip the rule); GATE: a gating parent did not (the feature is off); CYCLIC: a cycle.
 * Exposures the parents caused (a parent that is an experiment) are appended to `exposures`: the
 * unit's experience now depends on them, so they must be logged like the feature's own.
 *
 * @example
 * checkParents(ruleset, 'child', rule.parents, ctx, null, []) === PARENTS_PASS;
 */
export function checkParents(
  ruleset: CompiledRuleset,
  key: string,
  parents: readonly CompiledParent[],
  ctx: EvaluationContext,
  stack: string[] | null,
  exposures: Exposure[] | null,
): ParentsOutcome {
  const path = stack === null ? [key] : [...stack, key];
  for (let i = 0; i < parents.length; i++) {
    const parent = parents[i];
    const result = evaluateFeature(ruleset, parent.id, ctx, path);
    if (result.reason === 'CYCLIC_PREREQUISITE') return PARENTS_CYCLIC;
    if (exposures !== null) {
      if (result.exposure !== undefined) exposures.push(result.exposure);
      if (result.otherExposures !== undefined) exposures.push(...result.otherExposures);
    }
    if (!parent.test({ value: result.value })) return parent.gate ? PARENTS_GATE : PARENTS_SKIP;
  }
  return PARENTS_PASS;
}
