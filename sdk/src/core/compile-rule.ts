// Compiles one feature rule: a forced value (optionally hashed in by range or coverage) or an
// experiment (also a contextual bandit). Throws on a broken rule; `compile` drops and reports it.
import type { ConditionScope } from './compile-condition.js';
import { compileExperiment, compileParents } from './compile-experiment.js';
import type { CompiledRule } from './compiled-types.js';
import type { BanditCompiler } from './contextual-bandits.js';
import type { ExperimentDefinition, FeaturePayload, FeatureRule } from './types.js';

/** What compiling rules needs beyond conditions. */
export interface RuleScope extends ConditionScope {
  payload: FeaturePayload;
  /** Compiles contextual-bandit rules, when they are opted in. */
  bandits: BanditCompiler | undefined;
  /** Collects the attributes experiments hash by (for preloading sticky-bucket documents). */
  stickyAttributes: Set<string>;
}

// The rule fields the specification copies onto the experiment a rule becomes (and reports back):
// the numeric versions and coverage whenever present, the others only when truthy.
const COPIED_WHEN_DEFINED = ['coverage', 'bucketVersion', 'minBucketVersion'] as const;
const COPIED_WHEN_TRUTHY = [
  'weights',
  'hashAttribute',
  'fallbackAttribute',
  'disableStickyBucketing',
  'namespace',
  'meta',
  'ranges',
  'name',
  'phase',
  'seed',
  'hashVersion',
  'filters',
  'condition',
] as const;

function toExperiment(rule: FeatureRule, variations: unknown[], featureKey: string): ExperimentDefinition {
  const exp: Record<string, unknown> = { variations, key: rule.key || featureKey };
  for (const field of COPIED_WHEN_DEFINED) if (rule[field] !== undefined) exp[field] = rule[field];
  for (const field of COPIED_WHEN_TRUTHY) if (rule[field]) exp[field] = rule[field];
  return exp as unknown as ExperimentDefinition;
}

/**
 * Compiles rule `rule` of feature `featureKey`; `variations` are those of a contextual bandit.
 *
 * @example
 * const rule = compileRule({ force: true, coverage: 0.1 }, 'new-nav', scope);
 */
export function compileRule(
  rule: FeatureRule,
  featureKey: string,
  scope: RuleScope,
  variations = rule.variations,
): CompiledRule {
  const isForce = 'force' in rule;
  if (isForce) variations = undefined;
  else if (!variations && rule.contextualBanditRef) {
    if (scope.bandits) return scope.bandits(rule, featureKey, scope);
    scope.report('bandit rules need { contextualBandits }');
  }
  // A force rule hashes with the feature key as its default seed; a rule with neither a value nor
  // variations is kept for its prerequisites, and never entered.
  const exp = variations
    ? toExperiment(rule, variations, featureKey)
    : ({ ...rule, key: featureKey, variations: [] } as ExperimentDefinition);
  const compiled = compileExperiment(exp, scope);
  if (variations) {
    scope.stickyAttributes.add(compiled.hashAttribute);
    if (compiled.fallbackAttribute) scope.stickyAttributes.add(compiled.fallbackAttribute);
  }
  return Object.assign(compiled, {
    id: rule.id,
    isForce,
    force: rule.force,
    range: rule.range,
    coverage: rule.coverage,
    tracks: rule.tracks,
    // The specification checks a rule's prerequisites before anything else, forced variations and
    // sticky assignments included; the experiment a rule becomes has none of its own.
    parents: compileParents(rule.parentConditions, scope),
  });
}
