// Running one compiled experiment for one unit: the specification's `run`, step for step, over
// precomputed ranges and hashers. `full = false` lets feature evaluation skip building results for
// units that are not in the experiment (the common case on busy rulesets).
import { hasOwn } from './compile-condition.js';
import type { CompiledExperiment, CompiledRuleset } from './compiled-types.js';
import { isFilteredOut } from './is-filtered-out.js';
import { chooseVariation, inNamespace } from './get-bucket-ranges.js';
import { getQueryStringOverride } from './get-query-string-override.js';
import { checkParents, PARENTS_PASS } from './check-parents.js';
import type { Attributes, EvaluationContext, ExperimentResult } from './types.js';

const NO_ATTRIBUTES: Attributes = {};

function buildResult(
  exp: CompiledExperiment,
  index: unknown,
  hashUsed: boolean,
  featureId: string | null,
  hashAttribute: string,
  hashValue: unknown,
  bucket: number | undefined,
  stickyBucketUsed: boolean,
): ExperimentResult {
  let i = index as number;
  let inExperiment = true;
  if (!Number.isInteger(i) || i < 0 || i >= exp.variations.length) {
    i = 0;
    inExperiment = false;
  }
  const res: ExperimentResult = {
    key: exp.variationKeys[i] ?? String(i),
    featureId,
    inExperiment,
    hashUsed,
    variationId: i,
    value: exp.variations[i],
    hashAttribute,
    hashValue,
    stickyBucketUsed,
  };
  const name = exp.variationNames[i];
  if (name !== undefined) res.name = name;
  if (bucket !== undefined) res.bucket = bucket;
  if (exp.passthrough[i]) res.passthrough = true;
  return res;
}

type NotIn = (
  exp: CompiledExperiment,
  featureId: string | null,
  hashAttribute: string,
  hashValue: unknown,
  stickyUsed: boolean,
) => ExperimentResult | null;
const NOT_IN_FULL: NotIn = (exp, featureId, hashAttribute, hashValue, stickyUsed) =>
  buildResult(exp, -1, false, featureId, hashAttribute, hashValue, undefined, stickyUsed);
const NOT_IN_NULL: NotIn = () => null;

function stickyLookup(
  primary: Record<string, string> | undefined,
  secondary: Record<string, string> | undefined,
  key: string,
): string | undefined {
  return primary?.[key] ?? secondary?.[key];
}

/**
 * Runs a compiled experiment. Returns `null` instead of a not-in-experiment result when `full` is
 * false. Sticky-bucket documents in the context are read and, on assignment, updated in place.
 *
 * @example
 * runCompiled(ruleset, rule.experiment, { attributes: { id: 'u1' } }, 'checkout', null, true);
 */
export function runCompiled(
  ruleset: CompiledRuleset,
  exp: CompiledExperiment,
  ctx: EvaluationContext,
  featureId: string | null,
  stack: string[] | null,
  full: boolean,
): ExperimentResult | null {
  const attrs = ctx.attributes ?? NO_ATTRIBUTES;
  const docs = exp.stickyDisabled ? undefined : ctx.stickyBucketAssignments;
  let hashAttribute = exp.hashAttribute;
  let hashValue: unknown = attrs[hashAttribute];
  if (!hashValue && docs !== undefined && exp.fallbackAttribute !== undefined) {
    const fallback = attrs[exp.fallbackAttribute];
    if (fallback) {
      hashValue = fallback;
      hashAttribute = exp.fallbackAttribute;
    }
  }
  if (!hashValue) hashValue = '';
  // No closures in this function: it runs for every experiment rule of every evaluation.
  const notIn = full ? NOT_IN_FULL : NOT_IN_NULL;

  const n = exp.variations.length;
  if (n < 2 || ctx.enabled === false) return notIn(exp, featureId, hashAttribute, hashValue, false);
  if (ctx.url) {
    const forced = getQueryStringOverride(exp.key, ctx.url, n);
    if (forced !== null)
      return buildResult(exp, forced, false, featureId, hashAttribute, hashValue, undefined, false);
  }
  const forcedVariations = ctx.forcedVariations;
  if (forcedVariations !== undefined && hasOwn.call(forcedVariations, exp.key)) {
    const forced = forcedVariations[exp.key];
    return buildResult(exp, forced, false, featureId, hashAttribute, hashValue, undefined, false);
  }
  if (!exp.active || hashValue === '') return notIn(exp, featureId, hashAttribute, hashValue, false);
  const unit = typeof hashValue === 'string' ? hashValue : String(hashValue);

  let assigned = -1;
  let foundSticky = false;
  let blocked = false;
  if (docs !== undefined) {
    // The hash attribute's document wins over the fallback attribute's.
    const primary = docs[`${exp.hashAttribute}||${String(attrs[exp.hashAttribute] || '')}`]?.assignments;
    const secondary =
      exp.fallbackAttribute === undefined
        ? undefined
        : docs[`${exp.fallbackAttribute}||${String(attrs[exp.fallbackAttribute] || '')}`]?.assignments;
    for (const k of exp.blockedStickyKeys)
      if (stickyLookup(primary, secondary, k) !== undefined) blocked = true;
    if (!blocked) {
      const stored = stickyLookup(primary, secondary, exp.stickyKey);
      if (stored !== undefined) {
        assigned = exp.variationKeys.indexOf(stored);
        foundSticky = assigned >= 0;
      }
    }
  }
  // A unit with a sticky assignment keeps it even if targeting has changed since.
  if (!foundSticky) {
    if (exp.filters !== null) {
      if (!exp.filtersPrechecked && isFilteredOut(attrs, exp.filters)) {
        return notIn(exp, featureId, hashAttribute, hashValue, false);
      }
    } else if (exp.namespace !== null && !inNamespace(unit, exp.namespace)) {
      return notIn(exp, featureId, hashAttribute, hashValue, false);
    }
    if (exp.condition !== null && !exp.condition(attrs))
      return notIn(exp, featureId, hashAttribute, hashValue, false);
    if (
      exp.parents !== null &&
      checkParents(ruleset, featureId ?? '', exp.parents, ctx, stack, null) !== PARENTS_PASS
    ) {
      return notIn(exp, featureId, hashAttribute, hashValue, false);
    }
  }
  if (exp.hasher === null) return notIn(exp, featureId, hashAttribute, hashValue, false);
  const bucket = exp.hasher(unit);
  if (!foundSticky) {
    assigned = chooseVariation(
      bucket,
      exp.bandit === null ? exp.ranges : exp.bandit.ranges(attrs, exp.ranges),
    );
  }
  if (blocked) return notIn(exp, featureId, hashAttribute, hashValue, true);
  if (assigned < 0) return notIn(exp, featureId, hashAttribute, hashValue, false);
  if (exp.force !== undefined) {
    return buildResult(exp, exp.force, false, featureId, hashAttribute, hashValue, undefined, false);
  }
  if (ctx.qaMode) return notIn(exp, featureId, hashAttribute, hashValue, false);

  const res = buildResult(exp, assigned, true, featureId, hashAttribute, hashValue, bucket, foundSticky);
  if (exp.bandit !== null) exp.bandit.annotate(res, foundSticky ? null : attrs);
  if (docs !== undefined) saveSticky(ctx, docs, hashAttribute, unit, exp.stickyKey, res.key);
  return res;
}

function saveSticky(
  ctx: EvaluationContext,
  docs: NonNullable<EvaluationContext['stickyBucketAssignments']>,
  attributeName: string,
  attributeValue: string,
  stickyKey: string,
  variationKey: string,
): void {
  const docKey = `${attributeName}||${attributeValue}`;
  const existing = docs[docKey];
  if (existing !== undefined && existing.assignments[stickyKey] === variationKey) return;
  const doc = {
    attributeName,
    attributeValue,
    assignments: { ...existing?.assignments, [stickyKey]: variationKey },
  };
  docs[docKey] = doc;
  ctx.onStickyBucketAssignment?.(doc);
}
