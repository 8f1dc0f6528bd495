// Contextual bandits (GrowthBook payloads' `contextualBanditRef` rules): the unit's context picks
// a leaf, whose weights split it. Flagstaff never writes such rules; it reads them for payload
// compatibility, as an opt-in (`compile(payload, { contextualBandits })`) so that clients that
// do not need them (pages) do not ship them.
import { compileCondition } from './compile-condition.js';
import type { Predicate } from './compile-condition.js';
import { compileRule } from './compile-rule.js';
import type { RuleScope } from './compile-rule.js';
import type { CompiledRule } from './compiled-types.js';
import type { BucketRange } from './get-bucket-ranges.js';
import { getBucketRanges, getEqualWeights } from './get-bucket-ranges.js';
import type { Attributes, ExperimentDefinition, ExperimentResult, FeatureRule } from './types.js';

interface Leaf {
  leafId: number;
  test: Predicate;
  weights: number[];
  ranges: BucketRange[];
}

/** A contextual bandit as one rule uses it: leaf ranges laid out with that rule's coverage. */
export interface CompiledBandit {
  /** The ranges of the first leaf whose condition the unit matches, if any. */
  ranges(attributes: Attributes): BucketRange[] | undefined;
  /** Adds `leafId`, `variationWeights` and `banditVersion` to a result of this experiment. */
  annotate(result: ExperimentResult, attributes: Attributes | null): void;
  /** The experiment as an evaluation reports it: with the leaf's weights (annotated results only). */
  describe(result: ExperimentResult): ExperimentDefinition | undefined;
}

/**
 * Compiles a contextual-bandit rule of feature `featureKey`. Pass it to `compile` to evaluate
 * such rules.
 *
 * @example
 * const ruleset = compile(payload, { contextualBandits });
 */
export function contextualBandits(rule: FeatureRule, featureKey: string, scope: RuleScope): CompiledRule {
  const compiled = compileRule(rule, featureKey, scope, rule.contextualVariations || []);
  const ref = rule.contextualBanditRef as string;
  const bandit = scope.payload.contextualBandits?.[ref];
  if (!bandit) scope.report(`unknown bandit ${ref}`);
  const def = compiled.definition;
  const n = compiled.variations.length;
  const contexts = Array.isArray(bandit?.contexts) ? bandit.contexts : [];
  const version = bandit?.banditVersion;
  const weights = Array.isArray(def.weights) ? def.weights : getEqualWeights(n);
  const leaves: Leaf[] = contexts.map((leaf) => ({
    leafId: leaf.leafId,
    test: compileCondition(leaf.condition ?? {}, scope),
    weights: leaf.weights,
    ranges: getBucketRanges(n, def.coverage ?? 1, leaf.weights),
  }));
  const leafOf = (attributes: Attributes) => leaves.find((l) => l.test(attributes));
  compiled.bandit = {
    ranges: (attributes) => leafOf(attributes)?.ranges,
    // A unit kept by a sticky assignment was not split by a leaf: it reports none (-1).
    annotate(result, attributes) {
      const leaf = attributes && leafOf(attributes);
      result.leafId = leaf ? leaf.leafId : -1;
      result.variationWeights = leaf ? leaf.weights : weights;
      if (version !== undefined) result.banditVersion = version;
    },
    // Forced and not-in-experiment results carry no leaf, and keep the plain definition.
    describe(result) {
      const { leafId, variationWeights, banditVersion } = result;
      if (leafId === undefined || variationWeights === undefined) return undefined;
      const contextualBandit =
        banditVersion === undefined
          ? { leafId, variationWeights }
          : { leafId, variationWeights, banditVersion };
      return { ...def, weights: variationWeights, contextualBandit };
    },
  };
  return compiled;
}

/** The signature of {@link contextualBandits}, as `CompileOptions` takes it. */
export type BanditCompiler = typeof contextualBandits;
