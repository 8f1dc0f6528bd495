// Compiles one feature rule: a forced value (optionally a hashed rollout) or an experiment (also a
// contextual bandit). A malformed rule is reported and becomes a rule that never applies.
import { compileCondition, isNum, isRecord, str } from './compile-condition.js';
import type { ConditionScope } from './compile-condition.js';
import {
  compileExperiment,
  compileFilters,
  compileHasher,
  compileParents,
  readRanges,
} from './compile-experiment.js';
import type { CompiledExperiment, CompiledRollout, CompiledRule } from './compiled-types.js';
import type { BanditCompiler } from './contextual-bandits.js';
import type { ContextualBanditDefinition, ExperimentDefinition, FeatureRule } from './types.js';

/** The payload's bandits and their compiler, when contextual bandits are opted in. */
export interface BanditScope {
  definitions: Record<string, ContextualBanditDefinition>;
  compile: BanditCompiler;
}

// The rule fields the specification copies onto the experiment a rule becomes (and reports back):
// most only when truthy, the numeric versions and coverage whenever present.
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
const COPIED_WHEN_DEFINED = ['coverage', 'bucketVersion', 'minBucketVersion'] as const;

function toExperiment(rule: FeatureRule, variations: unknown[], featureKey: string): ExperimentDefinition {
  const exp: ExperimentDefinition = {
    variations,
    key: str(rule.key) ?? featureKey,
  };
  const target = exp as unknown as Record<string, unknown>;
  for (const field of COPIED_WHEN_DEFINED) if (rule[field] !== undefined) target[field] = rule[field];
  for (const field of COPIED_WHEN_TRUTHY) if (rule[field]) target[field] = rule[field];
  return exp;
}

function compileRollout(
  rule: FeatureRule,
  featureKey: string,
  scope: ConditionScope,
  path: string,
): CompiledRollout | null {
  if (rule.range === undefined && rule.coverage === undefined) return null;
  const hasher = compileHasher(rule, featureKey, scope, path);
  let range: [number, number] | undefined;
  if (rule.range !== undefined) range = readRanges([rule.range], scope, `${path}.range`)?.[0] ?? [0, 0];
  if (rule.coverage !== undefined && !isNum(rule.coverage))
    scope.report(`${path}.coverage`, 'expected a number');
  return {
    hashAttribute: str(rule.hashAttribute) ?? 'id',
    fallbackAttribute: str(rule.fallbackAttribute),
    hasher,
    range,
    coverage: rule.coverage === undefined ? undefined : isNum(rule.coverage) ? rule.coverage : 0,
  };
}

/**
 * Compiles rule `raw` of feature `featureKey` (`path` locates it in reports).
 *
 * @example
 * const rule = compileRule({ force: true, coverage: 0.1 }, 'new-nav', scope, undefined, 'rules[0]');
 */
export function compileRule(
  raw: unknown,
  featureKey: string,
  scope: ConditionScope,
  bandits: BanditScope | undefined,
  path: string,
): CompiledRule {
  const rule: CompiledRule = {
    id: undefined,
    kind: 'skip',
    parents: null,
    filters: null,
    condition: null,
    force: undefined,
    rollout: null,
    stickyDisabled: false,
    experiment: null,
    tracks: undefined,
  };
  if (!isRecord(raw)) {
    scope.report(path, 'expected an object');
    return rule;
  }
  const r = raw as FeatureRule;
  rule.id = str(r.id);
  rule.parents = compileParents(r.parentConditions, scope, `${path}.parentConditions`);
  rule.stickyDisabled = r.disableStickyBucketing === true;
  if ('force' in r) {
    rule.kind = 'force';
    rule.force = r.force;
    rule.filters = compileFilters(r.filters, scope, `${path}.filters`);
    rule.condition =
      r.condition === undefined ? null : compileCondition(r.condition, scope, `${path}.condition`);
    rule.rollout = compileRollout(r, featureKey, scope, path);
    rule.tracks = Array.isArray(r.tracks) ? r.tracks : undefined;
    return rule;
  }
  let experiment: CompiledExperiment | null = null;
  if (Array.isArray(r.variations)) {
    experiment = compileExperiment(toExperiment(r, r.variations, featureKey), scope, path);
  } else if (Array.isArray(r.contextualVariations) && typeof r.contextualBanditRef === 'string') {
    if (!bandits) {
      scope.report(
        `${path}.contextualBanditRef`,
        'bandit rules need compile(payload, { contextualBandits })',
      );
      return rule;
    }
    const definition = bandits.definitions[r.contextualBanditRef];
    if (!definition) scope.report(`${path}.contextualBanditRef`, `unknown bandit ${r.contextualBanditRef}`);
    const exp = toExperiment(r, r.contextualVariations, featureKey);
    experiment = compileExperiment(exp, scope, path, { definition, compile: bandits.compile });
  }
  if (experiment !== null) {
    rule.kind = 'experiment';
    rule.experiment = experiment;
    // The specification applies a rule's filters before anything else, forced variations and
    // sticky assignments included; the experiment then need not test them again.
    rule.filters = experiment.filters;
    experiment.filtersPrechecked = true;
    return rule;
  }
  // Neither a value nor variations: the specification skips such rules.
  return rule;
}
