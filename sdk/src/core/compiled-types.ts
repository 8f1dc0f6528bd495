// The shapes `compile()` produces. Everything evaluation needs is precomputed here: hashers with
// their seed bound, bucket ranges, variation keys, sticky-bucket keys, predicates.
import type { Predicate } from './compile-condition.js';
import type { CompiledBandit } from './contextual-bandits.js';
import type { BucketRange } from './get-bucket-ranges.js';
import type { Hasher } from './hash.js';
import type { ExperimentDefinition, FeaturePayload, VariationMeta } from './types.js';

/** A problem found while compiling a payload; that part degrades, the rest keeps working. */
export interface CompileIssue {
  /** The feature and rule concerned, e.g. `features.checkout.rules[2]`. */
  path: string;
  message: string;
}

/** Receives compile issues; `console.warn` fits. */
export type CompileLogger = (message: string, issue: CompileIssue) => void;

export interface CompiledFilter {
  attribute: string;
  /** `null` for an unknown hash version: the filter then excludes everyone. */
  hasher: Hasher | null;
  ranges: BucketRange[];
}

export interface CompiledParent {
  id: string;
  test: Predicate;
  gate: boolean | undefined;
}

/** An experiment (a feature's rule, or a definition given to `runExperiment`), ready to run. */
export interface CompiledExperiment {
  /** The experiment as results report it (shared, never mutated). */
  definition: ExperimentDefinition;
  key: string;
  variations: unknown[];
  meta: (VariationMeta | undefined)[];
  /** `meta[i].key`, or the index as a string. */
  variationKeys: string[];
  active: boolean;
  /** A forced variation index (definitions), or a forced value (force rules). */
  force: unknown;
  hashAttribute: string;
  fallbackAttribute: string | undefined;
  /** `null` for an unknown hash version: nobody is hashed in. */
  hasher: Hasher | null;
  ranges: BucketRange[];
  filters: CompiledFilter[] | undefined;
  namespace: [string, number, number] | undefined;
  test: Predicate | undefined;
  parents: CompiledParent[] | undefined;
  /** `false` when the experiment opts out of sticky bucketing. */
  sticky: boolean;
  /** `<key>__<bucketVersion>`: where this experiment's sticky assignment is stored. */
  stickyKey: string;
  /** Units holding an assignment of a bucket version below this are kept out. */
  minBucketVersion: number;
  bandit?: CompiledBandit;
}

/**
 * A feature rule: an experiment (which a rule without variations never enters), or with `isForce`
 * a forced value, hashed in through `range` / `coverage` when it has either. Its `parents` and
 * `filters` are checked at the rule level, before anything else.
 */
export interface CompiledRule extends CompiledExperiment {
  id: string | undefined;
  isForce: boolean;
  range: BucketRange | undefined;
  coverage: number | undefined;
  tracks: unknown[] | undefined;
}

export interface CompiledFeature {
  defaultValue: unknown;
  /** `undefined` when the payload has no `rules`: the flag is off in this environment. */
  rules: CompiledRule[] | undefined;
}

/** A payload compiled once per update; evaluate against it any number of times. */
export interface CompiledRuleset {
  readonly features: ReadonlyMap<string, CompiledFeature>;
  readonly savedGroups: Record<string, unknown>;
  /** Attributes whose sticky-bucket documents should be preloaded before evaluating. */
  readonly stickyBucketAttributes: readonly string[];
  /** Problems found while compiling (also sent to the logger). */
  readonly issues: readonly CompileIssue[];
  /** The payload this was compiled from. */
  readonly payload: FeaturePayload;
}
