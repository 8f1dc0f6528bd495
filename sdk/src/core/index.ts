// @flagstaff/sdk/core: the evaluation engine shared by the SDK and the server. Pure TypeScript,
// no runtime dependencies, no Node or DOM APIs beyond what both have.
//
//   const plain = await decryptPayload(payload, key);      // only for encrypted payloads
//   const ruleset = compile(plain, { logger });            // once per payload update
//   const e = evaluate(ruleset, 'flag', { attributes });   // per unit, synchronous, never throws
//   if (e.exposure) log(e.exposure);                       // plus e.otherExposures, if any
//
// Sticky bucketing: `createStickyBucketSession(service, ruleset, attributes)` preloads the unit's
// documents into the context and `flush()` saves what evaluation assigned. Contextual-bandit rules
// (GrowthBook payloads; Flagstaff writes none) compile only with `compile(p, { contextualBandits })`.
export type * from './types.js';
export type {
  CompileIssue,
  CompileLogger,
  CompiledExperiment,
  CompiledFeature,
  CompiledRule,
  CompiledRuleset,
} from './compiled-types.js';
export type { CompileOptions } from './compile.js';
export type { RegexFactory, RegexTester } from './compile-condition.js';
export type { BanditCompiler, CompiledBandit } from './contextual-bandits.js';
export type { BucketRange } from './get-bucket-ranges.js';
export type { Hasher } from './hash.js';
export type { StickyBucketService, StickyBucketSession } from './sticky-bucket-service.js';
export type {
  KeyValueStorage,
  LocalStorageStickyBucketOptions,
} from './local-storage-sticky-bucket-service.js';

export { compile } from './compile.js';
export { contextualBandits } from './contextual-bandits.js';
export { evaluate } from './evaluate.js';
export { runExperiment } from './run-experiment.js';
export { evalCondition } from './eval-condition.js';
export { decrypt, decryptPayload } from './decrypt-payload.js';
export { hash, fnv1a32, makeHasher } from './hash.js';
export {
  getBucketRanges,
  getEqualWeights,
  chooseVariation,
  inNamespace,
  inRange,
} from './get-bucket-ranges.js';
export { getQueryStringOverride } from './get-query-string-override.js';
export { padVersion } from './pad-version.js';
export {
  createStickyBucketSession,
  loadStickyBucketAssignments,
  stickyBucketDocKey,
} from './sticky-bucket-service.js';
export { InMemoryStickyBucketService } from './in-memory-sticky-bucket-service.js';
export { LocalStorageStickyBucketService } from './local-storage-sticky-bucket-service.js';
