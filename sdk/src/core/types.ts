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
  /** Contextual-bandit rules carry their variations here and reference the bandit by name. */
  contextualVariations?: unknown[];
  contextualBanditRef?: string;
}

/** A feature: a default value and ordered rules. */
export interface FeatureDefinition {
  defaultValue?: unknown;
  /** Absent = the flag is off in this environment (reason `DISABLED`); `[]` = on, no rules. */
  rules?: FeatureRule[];
}

/** The SDK payload served by `GET /sdk/v1/ruleset` (GrowthBook SDK payload format). */
export interface FeaturePayload {
  features?: Record<string, FeatureDefinition>;
  savedGroups?: Record<string, unknown[]>;
  encryptedFeatures?: string;
  encryptedSavedGroups?: string;
  dateUpdated?: string;
  /** Contextual bandits referenced by rules (`contextualBanditRef`). */
  contextualBandits?: Record<string, ContextualBanditDefinition>;
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
  | 'ERROR'; // evaluation threw (e.g. an attribute getter), see errorMessage

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
  /**
   * Exposures that happened on the way and must be logged too: experiments of prerequisite flags
   * this value depends on, and passthrough (holdout) rules the unit was bucketed into.
   */
  otherExposures?: Exposure[];
  errorMessage?: string;
  /** The same outcome in the GrowthBook specification's vocabulary. */
  source?: EvaluationSource;
  /** The experiment (converted rule) and its result, when an experiment rule decided the value. */
  experiment?: ExperimentDefinition<T>;
  experimentResult?: ExperimentResult<T>;
  /** The deciding force rule's `tracks`, for hosts that fire them (remote evaluation). */
  tracks?: unknown[];
}

/**
 * Where a value came from, in the GrowthBook specification's vocabulary (`FeatureResult.source`).
 * Kept next to `reason` so results can be compared with other GrowthBook SDKs one to one.
 */
export type EvaluationSource =
  | 'unknownFeature'
  | 'defaultValue'
  | 'force'
  | 'experiment'
  | 'override'
  | 'prerequisite'
  | 'cyclicPrerequisite'
  | 'error';

/** A contextual-bandit leaf: units matching `condition` are split with `weights`. */
export interface ContextualBanditContext {
  leafId: number;
  condition?: Condition;
  weights: number[];
}

/** A contextual bandit referenced by rules through `contextualBanditRef`. */
export interface ContextualBanditDefinition {
  banditVersion?: number;
  contexts?: ContextualBanditContext[];
}

/** An experiment as the specification's `run` takes it (feature rules are converted to this). */
export interface ExperimentDefinition<T = unknown> {
  key: string;
  variations: T[];
  weights?: number[];
  active?: boolean;
  coverage?: number;
  ranges?: [number, number][];
  condition?: Condition;
  parentConditions?: ParentCondition[];
  namespace?: [string, number, number];
  force?: number;
  hashAttribute?: string;
  fallbackAttribute?: string;
  hashVersion?: number;
  disableStickyBucketing?: boolean;
  bucketVersion?: number;
  minBucketVersion?: number;
  meta?: VariationMeta[];
  filters?: Filter[];
  seed?: string;
  name?: string;
  phase?: string;
  /** Set on results of contextual-bandit rules: the leaf that supplied the weights. */
  contextualBandit?: { leafId: number; variationWeights: number[]; banditVersion?: number };
}

/** The outcome of running an experiment for one unit (the specification's `ExperimentResult`). */
export interface ExperimentResult<T = unknown> {
  key: string;
  featureId: string | null;
  inExperiment: boolean;
  hashUsed: boolean;
  variationId: number;
  value: T;
  hashAttribute: string;
  hashValue: unknown;
  stickyBucketUsed: boolean;
  name?: string;
  bucket?: number;
  passthrough?: boolean;
  leafId?: number;
  variationWeights?: number[];
  banditVersion?: number;
}

/** Persisted sticky-bucket assignments of one unit: `{ "<experiment>__<bucketVersion>": variationKey }`. */
export interface StickyAssignmentsDocument {
  attributeName: string;
  attributeValue: string;
  assignments: Record<string, string>;
}

/** Sticky-bucket documents keyed by `"<attributeName>||<attributeValue>"`. */
export type StickyAssignmentDocs = Record<string, StickyAssignmentsDocument>;

/** Everything evaluation needs about one unit; cheap to build per request. */
export interface EvaluationContext {
  attributes: Attributes;
  /** Values forced by the host app per feature key (reason `OVERRIDE`). */
  forcedValues?: Record<string, unknown>;
  /** Variation indexes forced by the host app per experiment key (QA). */
  forcedVariations?: Record<string, number>;
  /**
   * Preloaded sticky-bucket documents. Present (even empty) = sticky bucketing is on for this
   * unit; evaluation updates this object in place when it assigns a unit.
   */
  stickyBucketAssignments?: StickyAssignmentDocs;
  /** Called with each document evaluation created or changed, so the host can persist it. */
  onStickyBucketAssignment?: (doc: StickyAssignmentsDocument) => void;
  /** `false` switches every experiment off (units get the control, not in experiment). */
  enabled?: boolean;
  /** QA mode: no random assignment, only forced variations. */
  qaMode?: boolean;
  /** Page URL; `?<experiment-key>=<index>` forces a variation (browsers, QA). */
  url?: string;
}
