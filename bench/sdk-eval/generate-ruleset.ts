// A seeded, realistic ruleset for the evaluation benchmark, described once in a neutral form and
// then written out for each engine (GrowthBook payload for ours and @growthbook/growthbook, Unleash
// toggles for unleash-client), plus the population of users it is evaluated for.

/** mulberry32: small, fast, good enough for test data, and identical on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const COUNTRIES = ['US', 'NL', 'BE', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'CA'];
export const PLANS = ['free', 'pro', 'team', 'enterprise'];
export const DOMAINS = ['example.com', 'acme.io', 'gmail.com', 'corp.example.org'];
export const BETA_GROUP = 'beta-testers';

/** One targeting clause; a rule's clauses are ANDed. */
export type Clause =
  | { kind: 'country'; values: string[] }
  | { kind: 'plan'; value: string }
  | { kind: 'age'; min: number }
  | { kind: 'version'; min: string }
  | { kind: 'email'; domain: string }
  | { kind: 'beta' }
  | { kind: 'group' };

export type RuleSpec =
  | { type: 'force'; clauses: Clause[]; value: unknown }
  | { type: 'rollout'; clauses: Clause[]; value: unknown; coverage: number; seed: string }
  | {
      type: 'experiment';
      clauses: Clause[];
      key: string;
      variations: unknown[];
      weights: number[];
      coverage: number;
      namespace?: [string, number, number];
    };

export interface FeatureSpec {
  key: string;
  defaultValue: unknown;
  rules: RuleSpec[];
}

export type User = Record<string, unknown> & { id: string };

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)];
}

function clause(rand: () => number): Clause {
  const r = rand();
  if (r < 0.25)
    return { kind: 'country', values: [pick(rand, COUNTRIES), pick(rand, COUNTRIES), pick(rand, COUNTRIES)] };
  if (r < 0.45) return { kind: 'plan', value: pick(rand, PLANS) };
  if (r < 0.6) return { kind: 'age', min: 18 + Math.floor(rand() * 40) };
  if (r < 0.75) return { kind: 'version', min: `${1 + Math.floor(rand() * 3)}.${Math.floor(rand() * 10)}.0` };
  if (r < 0.87) return { kind: 'email', domain: pick(rand, DOMAINS) };
  if (r < 0.95) return { kind: 'beta' };
  return { kind: 'group' };
}

function clauses(rand: () => number, max: number): Clause[] {
  const n = Math.floor(rand() * (max + 1));
  return Array.from({ length: n }, () => clause(rand));
}

function values(rand: () => number, kind: number, i: number): unknown[] {
  if (kind === 0) return [false, true];
  if (kind === 1) return ['control', 'variant-a', 'variant-b'].slice(0, 2 + Math.floor(rand() * 2));
  if (kind === 2) return [10, 20, 30].slice(0, 2 + Math.floor(rand() * 2));
  return [
    { layout: 'grid', pageSize: 20 + i },
    { layout: 'list', pageSize: 40 + i },
  ];
}

/** `count` features: targeted values, percentage rollouts (ramps) and experiments, mixed. */
export function generateFeatures(count: number, seed = 42): FeatureSpec[] {
  const rand = seededRandom(seed);
  const features: FeatureSpec[] = [];
  for (let i = 0; i < count; i++) {
    const key = `feature-${i}`;
    const kind = Math.floor(rand() * 4);
    const vals = values(rand, kind, i);
    const rules: RuleSpec[] = [];
    const shape = rand();
    if (shape < 0.35 || rand() < 0.3) {
      const n = 1 + Math.floor(rand() * 3);
      for (let r = 0; r < n; r++)
        rules.push({ type: 'force', clauses: clauses(rand, 2), value: pick(rand, vals) });
      if (rules.every((r) => r.clauses.length === 0)) rules[0].clauses.push(clause(rand));
    }
    if (shape >= 0.35 && shape < 0.65) {
      rules.push({
        type: 'rollout',
        clauses: clauses(rand, 1),
        value: vals[vals.length - 1],
        coverage: Math.round(rand() * 100) / 100,
        seed: `${key}-ramp`,
      });
    } else if (shape >= 0.65) {
      const n = vals.length;
      const w = Array.from({ length: n }, () => 1 / n);
      rules.push({
        type: 'experiment',
        clauses: clauses(rand, 1),
        key: `exp-${i}`,
        variations: vals,
        weights: w,
        coverage: rand() < 0.5 ? 1 : Math.round((0.2 + rand() * 0.8) * 100) / 100,
        namespace: rand() < 0.2 ? ['checkout', 0, 0.5 + Math.round(rand() * 50) / 100] : undefined,
      });
    }
    features.push({ key, defaultValue: vals[0], rules });
  }
  return features;
}

/** The users: distinct ids, attributes spread over the values the clauses test. */
export function generateUsers(count: number, seed = 7): User[] {
  const rand = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const id = `user-${i}-${Math.floor(rand() * 1e9).toString(36)}`;
    return {
      id,
      deviceId: `device-${Math.floor(rand() * 1e12).toString(36)}`,
      country: pick(rand, COUNTRIES),
      plan: pick(rand, PLANS),
      age: 16 + Math.floor(rand() * 60),
      appVersion: `${1 + Math.floor(rand() * 3)}.${Math.floor(rand() * 12)}.${Math.floor(rand() * 20)}`,
      email: `${id}@${pick(rand, DOMAINS)}`,
      beta: rand() < 0.1,
    };
  });
}

/** Ids of the saved group `BETA_GROUP` (every 50th user). */
export function betaGroupMembers(users: readonly User[]): string[] {
  return users.filter((_, i) => i % 50 === 0).map((u) => u.id);
}
