// What both entry points of @flagstaff/sdk export besides `createClient`.
export { localStorageCache, memoryCache, type WebStorage } from './ruleset-cache.js';
export { decryptPayload } from './core/decrypt-payload.js';
export type { FlagstaffClient } from './build-client.js';
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
export type { EvaluationDetails, EvaluationErrorCode, FlagEvaluator, Widen } from './client-types.js';
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
