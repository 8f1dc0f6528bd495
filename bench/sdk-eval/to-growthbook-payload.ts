// Writes the neutral benchmark ruleset as a GrowthBook-format payload (what Flagstaff serves).
import type { FeatureDefinition, FeaturePayload, FeatureRule } from '@flagstaff/sdk/core';
import { BETA_GROUP } from './generate-ruleset.js';
import type { Clause, FeatureSpec } from './generate-ruleset.js';

function condition(clauses: Clause[]): Record<string, unknown> | undefined {
  if (clauses.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  const and: Record<string, unknown>[] = [];
  for (const c of clauses) {
    let part: [string, unknown];
    if (c.kind === 'country') part = ['country', { $in: c.values }];
    else if (c.kind === 'plan') part = ['plan', c.value];
    else if (c.kind === 'age') part = ['age', { $gte: c.min }];
    else if (c.kind === 'version') part = ['appVersion', { $vgte: c.min }];
    else if (c.kind === 'email') part = ['email', { $regex: `@${c.domain.replace(/\./g, '\\.')}$` }];
    else if (c.kind === 'beta') part = ['beta', true];
    else part = ['id', { $inGroup: BETA_GROUP }];
    // Two clauses on one attribute cannot share an object key: AND them explicitly.
    if (part[0] in out) and.push({ [part[0]]: part[1] });
    else out[part[0]] = part[1];
  }
  if (and.length > 0) out.$and = and;
  return out;
}

export function toGrowthBookPayload(features: FeatureSpec[], groupMembers: string[]): FeaturePayload {
  const out: Record<string, FeatureDefinition> = {};
  for (const f of features) {
    const rules: FeatureRule[] = f.rules.map((r, i): FeatureRule => {
      const cond = condition(r.clauses);
      const base: FeatureRule = { id: `${f.key}-r${i}`, ...(cond ? { condition: cond } : {}) };
      if (r.type === 'force') return { ...base, force: r.value };
      if (r.type === 'rollout') {
        return {
          ...base,
          force: r.value,
          coverage: r.coverage,
          seed: r.seed,
          hashVersion: 2,
          hashAttribute: 'id',
        };
      }
      return {
        ...base,
        key: r.key,
        seed: r.key,
        hashVersion: 2,
        hashAttribute: 'id',
        variations: r.variations,
        weights: r.weights,
        coverage: r.coverage,
        meta: r.variations.map((_, v) => ({ key: String(v) })),
        ...(r.namespace ? { namespace: r.namespace } : {}),
      };
    });
    out[f.key] = { defaultValue: f.defaultValue, rules };
  }
  return { features: out, savedGroups: { [BETA_GROUP]: groupMembers } };
}
