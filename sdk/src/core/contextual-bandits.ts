// Contextual bandits (GrowthBook payloads' `contextualBanditRef` rules): the unit's context picks
// a leaf, whose weights split it. Flagstaff never writes such rules; it reads them for payload
// compatibility, as an opt-in (`compile(payload, { contextualBandits })`) so that clients that
// do not need them (pages) do not ship them.
import { compileCondition } from './compile-condition.js';
import type { ConditionScope, Predicate } from './compile-condition.js';
import type { BucketRange } from './get-bucket-ranges.js';
import { getBucketRanges, getEqualWeights } from './get-bucket-ranges.js';
import type {
  Attributes,
  ContextualBanditDefinition,
  ExperimentDefinition,
  ExperimentResult,
} from './types.js';

interface Leaf {
  leafId: number;
  test: Predicate;
  weights: number[];
  ranges: BucketRange[];
}

/** A contextual bandit as one rule uses it: leaf ranges laid out with that rule's coverage. */
export interface CompiledBandit {
  /** The ranges for the unit: those of the first leaf whose condition it matches. */
  ranges(attributes: Attributes, ranges: BucketRange[]): BucketRange[];
  /** Adds `leafId`, `variationWeights` and `banditVersion` to a result of this experiment. */
  annotate(result: ExperimentResult, attributes: Attributes | null): void;
  /** The experiment as an evaluation reports it: with the leaf's weights. */
  describe(definition: ExperimentDefinition, result: ExperimentResult): ExperimentDefinition;
}

/**
 * Compiles the bandit a rule refers to, for an experiment with `n` variations and `coverage`.
 * Pass it to `compile` to evaluate contextual-bandit rules.
 *
 * @example
 * const ruleset = compile(payload, { contextualBandits });
 */
export function contextualBandits(
  bandit: ContextualBanditDefinition | undefined,
  def: ExperimentDefinition,
  n: number,
  coverage: number,
  scope: ConditionScope,
): CompiledBandit {
  const contexts = Array.isArray(bandit?.contexts) ? bandit.contexts : [];
  const version = bandit?.banditVersion;
  const weights = Array.isArray(def.weights) ? def.weights : getEqualWeights(n);
  const leaves: Leaf[] = contexts.map((leaf) => ({
    leafId: leaf.leafId,
    test: compileCondition(leaf.condition ?? {}, scope),
    weights: leaf.weights,
    ranges: getBucketRanges(n, coverage, leaf.weights),
  }));
  const leafOf = (attributes: Attributes) => leaves.find((l) => l.test(attributes));
  return {
    ranges: (attributes, ranges) => leafOf(attributes)?.ranges ?? ranges,
    // A unit kept by a sticky assignment was not split by a leaf: it reports none (-1).
    annotate(result, attributes) {
      const leaf = attributes && leafOf(attributes);
      result.leafId = leaf ? leaf.leafId : -1;
      result.variationWeights = leaf ? leaf.weights : weights;
      if (version !== undefined) result.banditVersion = version;
    },
    // Forced and not-in-experiment results carry no leaf, and keep the plain definition.
    describe(definition, result) {
      const { leafId, variationWeights, banditVersion } = result;
      if (leafId === undefined || variationWeights === undefined) return definition;
      const contextualBandit =
        banditVersion === undefined
          ? { leafId, variationWeights }
          : { leafId, variationWeights, banditVersion };
      return { ...definition, weights: variationWeights, contextualBandit };
    },
  };
}

/** The signature of {@link contextualBandits}, as `CompileOptions` takes it. */
export type BanditCompiler = typeof contextualBandits;
