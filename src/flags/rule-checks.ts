// Checks of a flag config's rules before they are written: values of the flag's type, conditions,
// experiment weights and keys, known segments and prerequisite flags. Every problem is collected
// and reported at once, each with its path (`body.rules.2.value`), as one validation error.
import type { z } from '@hono/zod-openapi';
import { randomToken } from '../auth/secrets.ts';
import { validationFailed } from '../errors.ts';
import type { SegmentStore } from '../segments/segment-store.ts';
import { validateCondition, type ConditionIssue } from './condition-validator.ts';
import type { PutFlagConfig, Rule } from './flag-schemas.ts';
import type { FlagRow, FlagStore } from './flag-store.ts';
import { valueTypeError } from './flag-values.ts';
import { jsonValueIssue, type JsonLimits } from '../json-limits.ts';
import { segmentsUsedBy } from './rule-references.ts';

/** What a refusal of a large condition suggests instead. */
export const CONDITION_HINT = '; for long lists of ids, use a segment of kind ids';

const valueTypeIssue = (path: string, valueType: FlagRow['valueType'], v: unknown) => {
  const message = valueTypeError(valueType, v);
  return message === undefined ? undefined : { path, message };
};

/** Validates rules against the flag's type, known segments and flags; gives rules their ids. */
export async function checkRules(
  flag: FlagRow,
  rules: z.output<typeof PutFlagConfig>['rules'],
  deps: { segments: SegmentStore; flags: FlagStore; limits: JsonLimits },
): Promise<Rule[]> {
  const issues: ConditionIssue[] = [];
  const seen = new Set<string>();
  const value = (path: string, v: unknown) => {
    const error = jsonValueIssue(v, path, deps.limits) ?? valueTypeIssue(path, flag.valueType, v);
    if (error) issues.push(error);
  };
  // Size and depth first: the validator walks a condition recursively, only a bounded one.
  const condition = (path: string, c: unknown) => {
    const error = jsonValueIssue(c, path, deps.limits, CONDITION_HINT);
    if (error) issues.push(error);
    else issues.push(...validateCondition(c, path));
  };
  const withIds = rules.map((rule, i) => {
    const at = `body.rules.${i}`;
    const id = rule.id ?? `r_${randomToken(6)}`;
    if (seen.has(id)) issues.push({ path: `${at}.id`, message: `duplicate rule id '${id}'` });
    seen.add(id);
    if (rule.condition) condition(`${at}.condition`, rule.condition);
    for (const [j, p] of (rule.prerequisites ?? []).entries()) {
      condition(`${at}.prerequisites.${j}.condition`, p.condition);
      if (p.flag === flag.key)
        issues.push({
          path: `${at}.prerequisites.${j}.flag`,
          message: 'a flag cannot be its own prerequisite',
        });
    }
    if (rule.type === 'force' || rule.type === 'rollout') value(`${at}.value`, rule.value);
    if (rule.type === 'experiment') {
      rule.variations.forEach((variation, j) => value(`${at}.variations.${j}.value`, variation.value));
      const total = rule.variations.reduce((sum, v) => sum + v.weight, 0);
      if (Math.abs(total - 1) > 1e-6)
        issues.push({
          path: `${at}.variations`,
          message: `weights must add up to 1 (they add up to ${total})`,
        });
      const keys = rule.variations.map((v) => v.key);
      if (new Set(keys).size !== keys.length)
        issues.push({ path: `${at}.variations`, message: 'variation keys must be unique' });
      if (rule.namespace && rule.namespace.range[0] >= rule.namespace.range[1])
        issues.push({ path: `${at}.namespace.range`, message: 'must be [start, end] with start < end' });
    }
    return { ...rule, id } as Rule;
  });
  const knownSegments = new Set((await deps.segments.list()).map((s) => s.key));
  withIds.forEach((rule, i) => {
    for (const key of segmentsUsedBy([rule])) {
      if (!knownSegments.has(key))
        issues.push({ path: `body.rules.${i}`, message: `unknown segment '${key}'` });
    }
  });
  for (const [i, rule] of withIds.entries()) {
    for (const [j, p] of (rule.prerequisites ?? []).entries()) {
      if (p.flag !== flag.key && !(await deps.flags.byKey(p.flag)))
        issues.push({
          path: `body.rules.${i}.prerequisites.${j}.flag`,
          message: `unknown flag '${p.flag}'`,
        });
    }
  }
  if (issues.length > 0) throw validationFailed(issues);
  return withIds;
}
