// Feature evaluation over a compiled ruleset: rules in order, first applicable wins. Synchronous,
// allocation-light, and total: whatever happens inside, the caller gets an Evaluation.
import { hasOwn } from './compile-condition.js';
import { checkParents, PARENTS_CYCLIC, PARENTS_GATE, PARENTS_PASS } from './check-parents.js';
import type { CompiledExperiment, CompiledRollout, CompiledRule, CompiledRuleset } from './compiled-types.js';
import { isFilteredOut } from './is-filtered-out.js';
import { runCompiled } from './run-compiled.js';
import type {
  Attributes,
  Evaluation,
  EvaluationContext,
  EvaluationReason,
  EvaluationSource,
  Exposure,
  ExperimentResult,
} from './types.js';

const NO_ATTRIBUTES: Attributes = {};

function result(
  key: string,
  value: unknown,
  reason: EvaluationReason,
  source: EvaluationSource,
  ruleId?: string,
): Evaluation {
  // Every Evaluation gets the same fields in the same order: one hidden class for the JIT.
  return {
    key,
    value,
    on: !!value,
    off: !value,
    reason,
    ruleId,
    variationId: undefined,
    variationKey: undefined,
    exposure: undefined,
    otherExposures: undefined,
    errorMessage: undefined,
    source,
    experiment: undefined,
    experimentResult: undefined,
    tracks: undefined,
  };
}

function inRollout(rollout: CompiledRollout, attrs: Attributes, useFallback: boolean): boolean {
  if (rollout.range === undefined && rollout.coverage === 0) return false;
  let v = attrs[rollout.hashAttribute];
  if (!v && useFallback && rollout.fallbackAttribute !== undefined) v = attrs[rollout.fallbackAttribute];
  if (!v || rollout.hasher === null) return false;
  const n = rollout.hasher(typeof v === 'string' ? v : String(v));
  if (rollout.range !== undefined) return n >= rollout.range[0] && n < rollout.range[1];
  return rollout.coverage === undefined || n <= rollout.coverage;
}

function experimentEvaluation(
  key: string,
  rule: CompiledRule,
  exp: CompiledExperiment,
  res: ExperimentResult,
): Evaluation {
  const out = result(key, res.value, res.hashUsed ? 'SPLIT' : 'OVERRIDE', 'experiment', rule.id);
  out.variationId = res.variationId;
  out.variationKey = res.key;
  out.experimentResult = res;
  out.experiment = exp.bandit === null ? exp.definition : exp.bandit.describe(exp.definition, res);
  if (res.hashUsed) out.exposure = exposureOf(key, exp, res);
  return out;
}

function exposureOf(key: string, exp: CompiledExperiment, res: ExperimentResult): Exposure {
  return {
    flag: key,
    experiment: exp.key,
    variation: res.key,
    variationId: res.variationId,
    hashAttribute: res.hashAttribute,
    unit: String(res.hashValue),
    bucket: res.bucket ?? 0,
  };
}

/** Attaches the exposures collected on the way (rarely any: no allocation otherwise). */
function withOthers(out: Evaluation, others: Exposure[] | null): Evaluation {
  if (others !== null && others.length > 0) out.otherExposures = others;
  return out;
}

/**
 * Evaluation with the prerequisite path so far (internal; `evaluate` is the public entry).
 *
 * @example
 * evaluateFeature(ruleset, 'parent-flag', ctx, ['child-flag']);
 */
export function evaluateFeature(
  ruleset: CompiledRuleset,
  key: string,
  ctx: EvaluationContext,
  stack: string[] | null,
): Evaluation {
  if (stack !== null && stack.includes(key))
    return result(key, null, 'CYCLIC_PREREQUISITE', 'cyclicPrerequisite');
  const forced = ctx.forcedValues;
  if (forced !== undefined && hasOwn.call(forced, key))
    return result(key, forced[key], 'OVERRIDE', 'override');
  const feature = ruleset.features.get(key);
  if (feature === undefined) return result(key, null, 'FLAG_NOT_FOUND', 'unknownFeature');
  const attrs = ctx.attributes ?? NO_ATTRIBUTES;
  const rules = feature.rules;
  let others: Exposure[] | null = null;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (rule.parents !== null) {
      others ??= [];
      const outcome = checkParents(ruleset, key, rule.parents, ctx, stack, others);
      if (outcome === PARENTS_CYCLIC) {
        return withOthers(result(key, null, 'CYCLIC_PREREQUISITE', 'cyclicPrerequisite'), others);
      }
      if (outcome === PARENTS_GATE) {
        return withOthers(result(key, null, 'PREREQUISITE_FAILED', 'prerequisite', rule.id), others);
      }
      if (outcome !== PARENTS_PASS) continue;
    }
    if (rule.filters !== null && isFilteredOut(attrs, rule.filters)) continue;
    if (rule.kind === 'force') {
      if (rule.condition !== null && !rule.condition(attrs)) continue;
      const useFallback = ctx.stickyBucketAssignments !== undefined && !rule.stickyDisabled;
      if (rule.rollout !== null && !inRollout(rule.rollout, attrs, useFallback)) continue;
      const out = result(
        key,
        rule.force,
        rule.rollout === null ? 'TARGETING_MATCH' : 'SPLIT',
        'force',
        rule.id,
      );
      out.tracks = rule.tracks;
      return withOthers(out, others);
    }
    if (rule.kind === 'experiment' && rule.experiment !== null) {
      const res = runCompiled(ruleset, rule.experiment, ctx, key, stack, false);
      if (res === null || !res.inExperiment) continue;
      if (!res.passthrough) return withOthers(experimentEvaluation(key, rule, rule.experiment, res), others);
      // A holdout's passthrough: the unit is in the holdout experiment and sees what follows.
      if (res.hashUsed) (others ??= []).push(exposureOf(key, rule.experiment, res));
    }
  }
  const reason = feature.disabled ? 'DISABLED' : 'DEFAULT';
  return withOthers(result(key, feature.defaultValue, reason, 'defaultValue'), others);
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
    return evaluateFeature(ruleset, key, context, null) as Evaluation<T>;
  } catch (error) {
    const out = result(key, null, 'ERROR', 'error');
    out.errorMessage = error instanceof Error ? error.message : String(error);
    return out as Evaluation<T>;
  }
}
