// @flagstaff/sdk: the client (fetch, SSE, cache, exposure queue) over the shared evaluation engine.
export { createClient, type FlagstaffClient } from './create-client.js';
export { localStorageCache, memoryCache, type WebStorage } from './ruleset-cache.js';
export type {
  ClientOptions,
  DeliveryStats,
  EventSourceConstructor,
  Logger,
  ReadyStatus,
  RulesetCache,
  RulesetSourceKind,
  SdkEvent,
} from './client-types.js';
export type {
  EvaluationDetails,
  EvaluationErrorCode,
  EvaluationScope,
  FlagEvaluator,
  Widen,
} from './user-evaluator.js';
export type {
  Attributes,
  Condition,
  Evaluation,
  EvaluationReason,
  Exposure,
  FeatureDefinition,
  FeaturePayload,
  FeatureRule,
  StickyAssignmentDocs,
  StickyAssignmentsDocument,
} from './core/types.js';
// The sticky-bucket services are classes: import them from '@flagstaff/sdk/core' so that apps
// that do not use them do not ship them.
export type { StickyBucketService } from './core/index.js';
