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
import { segmentsUsedBy } from './rule-references.ts';

/** Validates rules against the flag's type, known segments and flags; gives rules their ids. */
export async function checkRules(
  flag: FlagRow,
  rules: z.output<typeof PutFlagConfig>['rules'],
  deps: { segments: SegmentStore; flags: FlagStore },
): Promise<Rule[]> {
  const issues: ConditionIssue[] = [];
  const seen = new Set<string>();
  const value = (path: string, v: unknown) => {
    const error = valueTypeError(flag.valueType, v);
    if (error) issues.push({ path, message: error });
  };
  const withIds = rules.map((rule, i) => {
    const at = `body.rules.${i}`;
    const id = rule.id ?? `r_${randomToken(6)}`;
    if (seen.has(id)) issues.push({ path: `${at}.id`, message: `duplicate rule id '${id}'` });
    seen.add(id);
    if (rule.condition) issues.push(...validateCondition(rule.condition, `${at}.condition`));
    for (const [j, p] of (rule.prerequisites ?? []).entries()) {
      issues.push(...validateCondition(p.condition, `${at}.prerequisites.${j}.condition`));
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
