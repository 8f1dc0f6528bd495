// Writes the neutral benchmark ruleset as Unleash toggles: each rule becomes a flexibleRollout
// strategy (constraints for targeting, rollout % for coverage, strategy variants for values), in
// order. Hashing differs between the two systems (murmur3 vs FNV-1a), so units land in different
// buckets: the Unleash row measures equivalent work, not identical answers. Namespaces have no
// Unleash equivalent and are left out.
import type { ClientFeaturesResponse } from 'unleash-client';
import type { Clause, FeatureSpec, User } from './generate-ruleset.js';

type Toggle = ClientFeaturesResponse['features'][number];
type Strategy = NonNullable<Toggle['strategies']>[number];
type Constraint = Strategy['constraints'][number];

function constraint(c: Clause, groupMembers: string[]): Constraint {
  const base = { inverted: false, values: [] as string[] };
  if (c.kind === 'country')
    return { ...base, contextName: 'country', operator: 'IN', values: c.values } as Constraint;
  if (c.kind === 'plan')
    return { ...base, contextName: 'plan', operator: 'IN', values: [c.value] } as Constraint;
  if (c.kind === 'age')
    return { ...base, contextName: 'age', operator: 'NUM_GTE', value: String(c.min) } as Constraint;
  if (c.kind === 'version') {
    return { ...base, contextName: 'appVersion', operator: 'SEMVER_GTE', value: c.min } as Constraint;
  }
  if (c.kind === 'email') {
    return {
      ...base,
      contextName: 'email',
      operator: 'STR_ENDS_WITH',
      values: [`@${c.domain}`],
    } as Constraint;
  }
  if (c.kind === 'beta')
    return { ...base, contextName: 'beta', operator: 'IN', values: ['true'] } as Constraint;
  return { ...base, contextName: 'userId', operator: 'IN', values: groupMembers } as Constraint;
}

function payloadOf(value: unknown): { type: string; value: string } {
  return typeof value === 'string'
    ? { type: 'string', value }
    : { type: 'json', value: JSON.stringify(value) };
}

export function toUnleashToggles(features: FeatureSpec[], groupMembers: string[]): Toggle[] {
  return features.map((f): Toggle => {
    const strategies: Strategy[] = f.rules.map((r) => {
      const constraints = r.clauses.map((c) => constraint(c, groupMembers));
      if (r.type === 'experiment') {
        return {
          name: 'flexibleRollout',
          parameters: { rollout: String(Math.round(r.coverage * 100)), stickiness: 'userId', groupId: r.key },
          constraints,
          variants: r.variations.map((v, i) => ({
            name: String(i),
            weight: Math.floor(1000 / r.variations.length),
            stickiness: 'userId',
            payload: payloadOf(v),
          })),
        } as Strategy;
      }
      const rollout = r.type === 'rollout' ? String(Math.round(r.coverage * 100)) : '100';
      return {
        name: 'flexibleRollout',
        parameters: { rollout, stickiness: 'userId', groupId: r.type === 'rollout' ? r.seed : f.key },
        constraints,
        variants: [{ name: 'on', weight: 1000, stickiness: 'userId', payload: payloadOf(r.value) }],
      } as Strategy;
    });
    return { name: f.key, enabled: true, strategies, variants: [] } as Toggle;
  });
}

/** The Unleash context of a user (custom attributes go in `properties`, as strings). */
export function toUnleashContext(u: User): { userId: string; properties: Record<string, string> } {
  return {
    userId: u.id,
    properties: {
      country: String(u.country),
      plan: String(u.plan),
      age: String(u.age),
      appVersion: String(u.appVersion),
      email: String(u.email),
      beta: String(u.beta),
    },
  };
}
