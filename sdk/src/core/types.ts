// The public shapes of the evaluation engine. The payload types follow the GrowthBook SDK
// specification 0.8 (see docs/decisions/0001-growthbook-payload-format.md); the evaluation result
// types are Flagstaff's own, shaped so that every result maps onto an OpenFeature resolution.

/** Attributes of the unit being evaluated (user, device, account...). */
export type Attributes = Record<string, unknown>;

/** A MongoDB-style targeting condition, e.g. `{ country: { $in: ['NL', 'BE'] } }`. */
export type Condition = Record<string, unknown>;

/** A prerequisite: the flag `id` must evaluate to a value matching `condition` (on `{ value }`). */
export interface ParentCondition {
  id: string;
  condition: Condition;
  gate?: boolean;
}

/** Extra data about one variation of an experiment rule. */
export interface VariationMeta {
  key?: string;
  name?: string;
  passthrough?: boolean;
}

/** Mutually exclusive traffic slices: only units whose hash falls in a range are included. */
export interface Filter {
  seed: string;
  ranges: [number, number][];
  hashVersion?: number;
  attribute?: string;
}

/** One rule of a feature, evaluated in order; the first one that applies decides the value. */
export interface FeatureRule {
  id?: string;
  condition?: Condition;
  parentConditions?: ParentCondition[];
  force?: unknown;
  variations?: unknown[];
  weights?: number[];
  key?: string;
  hashAttribute?: string;
  fallbackAttribute?: string;
  hashVersion?: number;
  disableStickyBucketing?: boolean;
  bucketVersion?: number;
  minBucketVersion?: number;
  range?: [number, number];
  coverage?: number;
  namespace?: [string, number, number];
  ranges?: [number, number][];
  meta?: VariationMeta[];
  filters?: Filter[];
  seed?: string;
  name?: string;
  phase?: string;
  tracks?: unknown[];
}

/** A feature: a default value and ordered rules. */
export interface FeatureDefinition {
  defaultValue?: unknown;
  rules?: FeatureRule[];
}

/** The SDK payload served by `GET /sdk/v1/ruleset` (GrowthBook SDK payload format). */
export interface FeaturePayload {
  features?: Record<string, FeatureDefinition>;
  savedGroups?: Record<string, unknown[]>;
  encryptedFeatures?: string;
  encryptedSavedGroups?: string;
  dateUpdated?: string;
}

/**
 * Why a value was served. Mapped one to one onto OpenFeature's reasons by the providers
 * (`DISABLED`, `TARGETING_MATCH`, `SPLIT`, `DEFAULT`, `ERROR`...).
 */
export type EvaluationReason =
  | 'DEFAULT' // no rule applied: the feature's default value
  | 'DISABLED' // the flag is switched off in this environment (payload carries no rules)
  | 'TARGETING_MATCH' // a forced / targeted rule matched
  | 'SPLIT' // a percentage rollout or experiment assigned the unit
  | 'PREREQUISITE_FAILED' // a blocking prerequisite was not met
  | 'CYCLIC_PREREQUISITE' // prerequisites form a cycle
  | 'OVERRIDE' // a forced value set by the host app (e.g. in tests)
  | 'FLAG_NOT_FOUND' // the key is not in the ruleset
  | 'ERROR'; // the rule could not be evaluated (bad payload part)

/** What an SDK logs when a unit is exposed to an experiment or a ramp. */
export interface Exposure {
  /** The feature (flag) key whose evaluation exposed the unit. */
  flag: string;
  /** Experiment key (the rule's `key`, or the feature key when the rule has none). */
  experiment: string;
  /** Variation key (`meta[i].key`, or the index as a string when the rule gives no keys). */
  variation: string;
  /** Index of the variation in the rule. */
  variationId: number;
  /** Attribute that was hashed, and its value: the unit of analysis. */
  hashAttribute: string;
  unit: string;
  /** Hash bucket in [0, 1). */
  bucket: number;
}

/** The outcome of evaluating one feature for one set of attributes. */
export interface Evaluation<T = unknown> {
  key: string;
  value: T;
  on: boolean;
  off: boolean;
  reason: EvaluationReason;
  /** The id of the rule that decided the value, when a rule did. */
  ruleId?: string;
  /** The variation served, when an experiment or rollout rule decided the value. */
  variationId?: number;
  variationKey?: string;
  /** Set when the unit was bucketed into an experiment: the exposure the SDK must log. */
  exposure?: Exposure;
  errorMessage?: string;
}
