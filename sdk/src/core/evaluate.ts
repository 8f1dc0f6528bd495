// Evaluation over a compiled ruleset: a feature's rules in order, first applicable wins, and the
// specification's `run` for the experiments among them (and for `runExperiment`). Synchronous and
// total: whatever happens inside, `evaluate` returns an Evaluation.
import type { CompiledExperiment, CompiledParent, CompiledRuleset } from './compiled-types.js';
import { chooseVariation, inNamespace, inRange } from './get-bucket-ranges.js';
import { getQueryStringOverride } from './get-query-string-override.js';
import { stickyBucketDocKey } from './sticky-bucket-service.js';
import type {
  Attributes,
  Evaluation,
  EvaluationContext,
  EvaluationReason,
  EvaluationSource,
  Exposure,
  ExperimentResult,
  StickyAssignmentDocs,
} from './types.js';

const outcome = (
  key: string,
  value: unknown,
  reason: EvaluationReason,
  source: EvaluationSource,
  ruleId?: string,
): Evaluation => ({ key, value, on: !!value, off: !value, reason, ruleId, source });

const exposureOf = (flag: string, exp: CompiledExperiment, res: ExperimentResult): Exposure => ({
  flag,
  experiment: exp.key,
  variation: res.key,
  variationId: res.variationId,
  hashAttribute: res.hashAttribute,
  unit: String(res.hashValue),
  bucket: res.bucket ?? 0,
});

/** The documents sticky bucketing reads and writes for `exp`, when it is on. */
const stickyDocs = (exp: CompiledExperiment, ctx: EvaluationContext): StickyAssignmentDocs | undefined =>
  exp.sticky ? ctx.stickyBucketAssignments : undefined;

/** The attribute a unit is hashed by: the fallback when the hash attribute is empty (sticky only). */
function hashAttribute(exp: CompiledExperiment, attrs: Attributes, ctx: EvaluationContext): string {
  const fallback = exp.fallbackAttribute;
  return !attrs[exp.hashAttribute] && fallback && stickyDocs(exp, ctx) && attrs[fallback]
    ? fallback
    : exp.hashAttribute;
}

/**
 * Evaluates the parents of `key`'s rule `ruleId` (`key` pushed on `stack` meanwhile, so cycles are
 * found per path). `false`: all met; `true`: a parent did not match (skip the rule); an Evaluation:
 * the feature's outcome (a gating parent did not match, or a cycle). Exposures the parents caused
 * are appended to `exposures`: the unit's experience depends on them.
 */
function checkParents(
  rs: CompiledRuleset,
  key: string,
  parents: CompiledParent[],
  ctx: EvaluationContext,
  stack: string[],
  exposures?: Exposure[],
  ruleId?: string,
): Evaluation | boolean {
  let result: Evaluation | boolean = false;
  stack.push(key);
  for (const parent of parents) {
    const e = evaluateFeature(rs, parent.id, ctx, stack);
    if (e.source === 'cyclicPrerequisite')
      result = outcome(key, null, 'CYCLIC_PREREQUISITE', 'cyclicPrerequisite');
    else {
      if (e.exposure) exposures?.push(e.exposure);
      if (e.otherExposures) exposures?.push(...e.otherExposures);
      if (!parent.test({ value: e.value }))
        result = !parent.gate || outcome(key, null, 'PREREQUISITE_FAILED', 'prerequisite', ruleId);
    }
    if (result) break;
  }
  stack.pop();
  return result;
}

const filteredOut = (exp: CompiledExperiment, attrs: Attributes): boolean | undefined =>
  exp.filters?.some((f) => {
    const v = attrs[f.attribute];
    return !v || !f.hasher || chooseVariation(f.hasher(String(v)), f.ranges) < 0;
  });

function result(
  exp: CompiledExperiment,
  featureId: string | null,
  hashAttribute: string,
  hashValue: unknown,
  index: unknown,
  hashUsed = false,
  bucket?: number,
  stickyBucketUsed = false,
): ExperimentResult {
  let i = index as number;
  const inExperiment = Number.isInteger(i) && i >= 0 && i < exp.variations.length;
  if (!inExperiment) i = 0;
  const m = exp.meta[i] || {};
  const res: ExperimentResult = {
    key: exp.variationKeys[i] || '0',
    featureId,
    inExperiment,
    hashUsed,
    variationId: i,
    value: exp.variations[i],
    hashAttribute,
    hashValue,
    stickyBucketUsed,
  };
  if (m.name) res.name = m.name;
  if (bucket !== undefined) res.bucket = bucket;
  if (m.passthrough) res.passthrough = m.passthrough;
  return res;
}

/**
 * Runs an experiment for the unit in `ctx` (the specification's `run`). For a feature's rule
 * (`featureId` set) filters and prerequisites were checked at the rule level already. Sticky-bucket
 * documents in the context are read and, on assignment, updated in place.
 *
 * @example
 * runCompiled(ruleset, exp, { attributes: { id: 'u1' } }, null, []);
 */
export function runCompiled(
  rs: CompiledRuleset,
  exp: CompiledExperiment,
  ctx: EvaluationContext,
  featureId: string | null,
  stack: string[],
): ExperimentResult | undefined {
  const attrs = ctx.attributes || {};
  const docs = stickyDocs(exp, ctx);
  const by = hashAttribute(exp, attrs, ctx);
  const hashValue = attrs[by] || '';
  const { key, variationKeys } = exp;
  const n = exp.variations.length;
  // Not in the experiment: feature rules then skip to the next rule, so only `run` builds a result.
  const none = featureId === null ? result(exp, featureId, by, hashValue, -1) : undefined;
  if (n < 2 || ctx.enabled === false) return none;
  const forced = ctx.url ? getQueryStringOverride(key, ctx.url, n) : null;
  if (forced !== null) return result(exp, featureId, by, hashValue, forced);
  const forcedVariations = ctx.forcedVariations;
  if (forcedVariations && Object.hasOwn(forcedVariations, key))
    return result(exp, featureId, by, hashValue, forcedVariations[key]);
  if (!exp.active || !hashValue) return none;
  const unit = String(hashValue);

  let assigned = -1;
  let blocked = false;
  if (docs) {
    // The hash attribute's document wins over the fallback attribute's.
    const doc = (a: string | undefined) =>
      a ? docs[stickyBucketDocKey(a, String(attrs[a] || ''))]?.assignments : undefined;
    const assignments = { ...doc(exp.fallbackAttribute), ...doc(exp.hashAttribute) };
    for (let v = 0; v < exp.minBucketVersion; v++)
      if (assignments[`${key}__${v}`] !== undefined) blocked = true;
    if (!blocked) assigned = variationKeys.indexOf(assignments[exp.stickyKey]);
  }
  const sticky = assigned >= 0;
  // A unit with a sticky assignment keeps it even if targeting has changed since.
  if (
    !sticky &&
    ((exp.filters
      ? featureId === null && filteredOut(exp, attrs)
      : exp.namespace && !inNamespace(unit, exp.namespace)) ||
      (exp.test && !exp.test(attrs)) ||
      (featureId === null && exp.parents && checkParents(rs, '', exp.parents, ctx, stack)))
  )
    return none;
  if (!exp.hasher) return none;
  const bucket = exp.hasher(unit);
  if (!sticky) assigned = chooseVariation(bucket, exp.bandit?.ranges(attrs) || exp.ranges);
  if (blocked) return result(exp, featureId, by, hashValue, -1, false, undefined, true);
  if (assigned < 0) return none;
  if (exp.force !== undefined) return result(exp, featureId, by, hashValue, exp.force);
  if (ctx.qaMode) return none;

  const res = result(exp, featureId, by, hashValue, assigned, true, bucket, sticky);
  exp.bandit?.annotate(res, sticky ? null : attrs);
  if (docs) {
    const docKey = stickyBucketDocKey(by, unit);
    const existing = docs[docKey]?.assignments;
    if (existing?.[exp.stickyKey] !== res.key) {
      const doc = {
        attributeName: by,
        attributeValue: unit,
        assignments: { ...existing, [exp.stickyKey]: res.key },
      };
      docs[docKey] = doc;
      ctx.onStickyBucketAssignment?.(doc);
    }
  }
  return res;
}

/**
 * Evaluation with the prerequisite path so far (internal; `evaluate` is the public entry).
 *
 * @example
 * evaluateFeature(ruleset, 'parent-flag', ctx, ['child-flag']);
 */
function evaluateFeature(
  rs: CompiledRuleset,
  key: string,
  ctx: EvaluationContext,
  stack: string[],
): Evaluation {
  if (stack.includes(key)) return outcome(key, null, 'CYCLIC_PREREQUISITE', 'cyclicPrerequisite');
  const forced = ctx.forcedValues;
  if (forced && Object.hasOwn(forced, key)) return outcome(key, forced[key], 'OVERRIDE', 'override');
  const feature = rs.features.get(key);
  if (!feature) return outcome(key, null, 'FLAG_NOT_FOUND', 'unknownFeature');
  const attrs = ctx.attributes || {};
  let others: Exposure[] | undefined;
  let out: Evaluation | undefined;
  for (const rule of feature.rules || []) {
    const parents = rule.parents && checkParents(rs, key, rule.parents, ctx, stack, (others ??= []), rule.id);
    if (typeof parents === 'object') out = parents;
    else if (parents || filteredOut(rule, attrs)) continue;
    else if (rule.isForce) {
      const { range, coverage, hasher } = rule;
      const hashed = range || coverage !== undefined;
      if (rule.test && !rule.test(attrs)) continue;
      // Hashed in: inside the range, or at most the coverage (0 lets nobody in); no value, no hash.
      const v = hashed && attrs[hashAttribute(rule, attrs, ctx)];
      const n = v && hasher ? hasher(String(v)) : NaN;
      if (hashed && !(range ? inRange(n, range) : coverage && n <= coverage)) continue;
      out = outcome(key, rule.force, hashed ? 'SPLIT' : 'TARGETING_MATCH', 'force', rule.id);
      out.tracks = rule.tracks;
    } else {
      const res = runCompiled(rs, rule, ctx, key, stack);
      if (!res?.inExperiment) continue;
      if (res.passthrough) {
        // A holdout's passthrough: the unit is in the holdout and sees what follows.
        if (res.hashUsed) (others ??= []).push(exposureOf(key, rule, res));
        continue;
      }
      out = outcome(key, res.value, res.hashUsed ? 'SPLIT' : 'OVERRIDE', 'experiment', rule.id);
      out.variationId = res.variationId;
      out.variationKey = res.key;
      out.experimentResult = res;
      out.experiment = rule.bandit?.describe(res) || rule.definition;
      if (res.hashUsed) out.exposure = exposureOf(key, rule, res);
    }
    break;
  }
  out ||= outcome(key, feature.defaultValue, feature.rules ? 'DEFAULT' : 'DISABLED', 'defaultValue');
  if (others?.length) out.otherExposures = others;
  return out;
}

/**
 * Evaluates feature `key` for one unit. Never throws: an unexpected failure comes back as reason
 * `ERROR` with the value `null`. Log `exposure` when it is set.
 *
 * @example
 * const ruleset = compile(payload);
 * const e = evaluate(ruleset, 'new-checkout', { attributes: { id: 'user-1', country: 'NL' } });
 * if (e.exposure) exposures.push(e.exposure);
 * render(e.value);
 */
export function evaluate<T = unknown>(
  ruleset: CompiledRuleset,
  key: string,
  context: EvaluationContext,
): Evaluation<T> {
  try {
    return evaluateFeature(ruleset, key, context, []) as Evaluation<T>;
  } catch (error) {
    const out = outcome(key, null, 'ERROR', 'error');
    out.errorMessage = String(error);
    return out as Evaluation<T>;
  }
}
