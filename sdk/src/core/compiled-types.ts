// The shapes `compile()` produces. Everything evaluation needs is precomputed here: hashers with
// their seed bound, bucket ranges, variation keys, sticky-bucket keys, predicates.
import type { Predicate } from './compile-condition.js';
import type { CompiledBandit } from './contextual-bandits.js';
import type { BucketRange } from './get-bucket-ranges.js';
import type { Hasher } from './hash.js';
import type { ExperimentDefinition, FeaturePayload } from './types.js';

/** A problem found while compiling a payload; that part degrades, the rest keeps working. */
export interface CompileIssue {
  /** Where in the payload, e.g. `features.checkout.rules[2].condition.email.$regex`. */
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
  gate: boolean;
}

export interface CompiledExperiment {
  /** The experiment as results report it (shared, never mutated). */
  definition: ExperimentDefinition;
  key: string;
  variations: unknown[];
  variationKeys: string[];
  variationNames: (string | undefined)[];
  passthrough: boolean[];
  active: boolean;
  force: number | undefined;
  hashAttribute: string;
  fallbackAttribute: string | undefined;
  hasher: Hasher | null;
  ranges: BucketRange[];
  filters: CompiledFilter[] | null;
  /** Set for feature rules: their filters are tested at the rule level, before the experiment. */
  filtersPrechecked: boolean;
  namespace: [string, number, number] | null;
  condition: Predicate | null;
  parents: CompiledParent[] | null;
  stickyDisabled: boolean;
  /** `<key>__<bucketVersion>`: where this experiment's sticky assignment is stored. */
  stickyKey: string;
  /** Keys of bucket versions below `minBucketVersion`: a unit holding one is kept out. */
  blockedStickyKeys: string[];
  bandit: CompiledBandit | null;
}

export interface CompiledRollout {
  hashAttribute: string;
  fallbackAttribute: string | undefined;
  hasher: Hasher | null;
  range: BucketRange | undefined;
  coverage: number | undefined;
}

export interface CompiledRule {
  id: string | undefined;
  kind: 'force' | 'experiment' | 'skip';
  parents: CompiledParent[] | null;
  filters: CompiledFilter[] | null;
  condition: Predicate | null;
  force: unknown;
  /** Hashed inclusion of a force rule (coverage / range); `null` = everyone who matches. */
  rollout: CompiledRollout | null;
  stickyDisabled: boolean;
  experiment: CompiledExperiment | null;
  tracks: unknown[] | undefined;
}

export interface CompiledFeature {
  key: string;
  defaultValue: unknown;
  /** `rules` absent in the payload: the flag is off in this environment. */
  disabled: boolean;
  rules: CompiledRule[];
}

/** A payload compiled once per update; evaluate against it any number of times. */
export interface CompiledRuleset {
  readonly features: ReadonlyMap<string, CompiledFeature>;
  readonly savedGroups: ReadonlyMap<string, ReadonlySet<unknown>>;
  /** Attributes whose sticky-bucket documents should be preloaded before evaluating. */
  readonly stickyBucketAttributes: readonly string[];
  /** Problems found while compiling (also sent to the logger). */
  readonly issues: readonly CompileIssue[];
  readonly dateUpdated: string | undefined;
  /** The payload this was compiled from. */
  readonly payload: FeaturePayload;
}
