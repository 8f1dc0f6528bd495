// Compiles a payload once per update into a CompiledRuleset. Each feature and rule is compiled in
// isolation: whatever is wrong with one (bad regex, wrong types) is reported and degrades only
// that rule or condition; compile itself never throws.
import { compileCondition, isRecord } from './compile-condition.js';
import type { ConditionScope } from './compile-condition.js';
import { compileExperiment, compileFilters, compileParents, readRanges } from './compile-experiment.js';
import type {
  CompileIssue,
  CompileLogger,
  CompiledFeature,
  CompiledRollout,
  CompiledRule,
  CompiledRuleset,
} from './compiled-types.js';
import { makeHasher } from './hash.js';
import type {
  ContextualBanditDefinition,
  ExperimentDefinition,
  FeaturePayload,
  FeatureRule,
} from './types.js';

/** Options of `compile`. */
export interface CompileOptions {
  /** Receives every problem found in the payload (`console.warn` fits). */
  logger?: CompileLogger;
}

// The rule fields the specification copies onto the experiment a rule becomes (and reports back).
const EXPERIMENT_FIELDS = [
  'coverage',
  'weights',
  'hashAttribute',
  'fallbackAttribute',
  'namespace',
  'meta',
  'ranges',
  'name',
  'phase',
  'seed',
  'hashVersion',
  'filters',
  'condition',
  'disableStickyBucketing',
  'bucketVersion',
  'minBucketVersion',
] as const;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function toExperiment(rule: FeatureRule, variations: unknown[], featureKey: string): ExperimentDefinition {
  const exp: ExperimentDefinition = {
    variations,
    key: typeof rule.key === 'string' && rule.key ? rule.key : featureKey,
  };
  const target = exp as unknown as Record<string, unknown>;
  for (const field of EXPERIMENT_FIELDS) {
    if (rule[field] !== undefined) target[field] = rule[field];
  }
  return exp;
}

function compileRollout(
  rule: FeatureRule,
  featureKey: string,
  scope: ConditionScope,
  path: string,
): CompiledRollout | null {
  if (rule.range === undefined && rule.coverage === undefined) return null;
  const hashVersion = isNum(rule.hashVersion) && rule.hashVersion ? rule.hashVersion : 1;
  const hasher = makeHasher(typeof rule.seed === 'string' && rule.seed ? rule.seed : featureKey, hashVersion);
  if (!hasher) scope.report(`${path}.hashVersion`, `unknown hash version ${String(rule.hashVersion)}`);
  let range: [number, number] | undefined;
  if (rule.range !== undefined) range = readRanges([rule.range], scope, `${path}.range`)?.[0] ?? [0, 0];
  if (rule.coverage !== undefined && !isNum(rule.coverage))
    scope.report(`${path}.coverage`, 'coverage must be a number');
  return {
    hashAttribute: typeof rule.hashAttribute === 'string' && rule.hashAttribute ? rule.hashAttribute : 'id',
    fallbackAttribute:
      typeof rule.fallbackAttribute === 'string' && rule.fallbackAttribute
        ? rule.fallbackAttribute
        : undefined,
    hasher,
    range,
    coverage: rule.coverage === undefined ? undefined : isNum(rule.coverage) ? rule.coverage : 0,
  };
}

function compileRule(
  raw: unknown,
  featureKey: string,
  scope: ConditionScope,
  bandits: Record<string, ContextualBanditDefinition> | undefined,
  path: string,
): CompiledRule {
  const rule: CompiledRule = {
    id: undefined,
    kind: 'skip',
    parents: null,
    filters: null,
    condition: null,
    force: undefined,
    rollout: null,
    stickyDisabled: false,
    experiment: null,
    tracks: undefined,
  };
  if (!isRecord(raw)) {
    scope.report(path, 'a rule must be an object');
    return rule;
  }
  const r = raw as FeatureRule;
  rule.id = typeof r.id === 'string' && r.id ? r.id : undefined;
  rule.parents = compileParents(r.parentConditions, scope, `${path}.parentConditions`);
  rule.stickyDisabled = r.disableStickyBucketing === true;
  if ('force' in r) {
    rule.kind = 'force';
    rule.force = r.force;
    rule.filters = compileFilters(r.filters, scope, `${path}.filters`);
    rule.condition =
      r.condition === undefined ? null : compileCondition(r.condition, scope, `${path}.condition`);
    rule.rollout = compileRollout(r, featureKey, scope, path);
    rule.tracks = Array.isArray(r.tracks) ? r.tracks : undefined;
    return rule;
  }
  if (Array.isArray(r.variations)) {
    rule.kind = 'experiment';
    rule.experiment = compileExperiment(toExperiment(r, r.variations, featureKey), scope, path);
    return rule;
  }
  if (Array.isArray(r.contextualVariations) && typeof r.contextualBanditRef === 'string') {
    rule.kind = 'experiment';
    const definition = bandits?.[r.contextualBanditRef];
    if (!definition) scope.report(`${path}.contextualBanditRef`, `unknown bandit ${r.contextualBanditRef}`);
    const exp = toExperiment(r, r.contextualVariations, featureKey);
    rule.experiment = compileExperiment(exp, scope, path, { definition });
    return rule;
  }
  // Neither a value nor variations: the specification skips such rules.
  return rule;
}

function compileFeature(
  key: string,
  raw: unknown,
  scope: ConditionScope,
  bandits: Record<string, ContextualBanditDefinition> | undefined,
): CompiledFeature {
  const path = `features.${key}`;
  if (!isRecord(raw)) {
    scope.report(path, 'a feature must be an object');
    return { key, defaultValue: null, disabled: false, rules: [] };
  }
  const rules = raw.rules;
  if (rules !== undefined && !Array.isArray(rules)) scope.report(`${path}.rules`, 'rules must be an array');
  return {
    key,
    defaultValue: raw.defaultValue === undefined ? null : raw.defaultValue,
    disabled: rules === undefined,
    rules: Array.isArray(rules)
      ? rules.map((rule, i) => compileRule(rule, key, scope, bandits, `${path}.rules[${i}]`))
      : [],
  };
}

/**
 * Compiles an SDK payload (GrowthBook format, decrypted) into a ruleset for `evaluate`. Call it once
 * per payload update. Problems are reported to `options.logger` and in `ruleset.issues`.
 *
 * @example
 * const ruleset = compile(payload, { logger: (msg) => console.warn(msg) });
 * evaluate(ruleset, 'new-checkout', { attributes: { id: 'user-1' } }).value;
 */
export function compile(payload: FeaturePayload, options: CompileOptions = {}): CompiledRuleset {
  const issues: CompileIssue[] = [];
  const report = (path: string, message: string): void => {
    const issue = { path, message };
    issues.push(issue);
    try {
      options.logger?.(`${path}: ${message}`, issue);
    } catch {
      // A failing logger must not take evaluation down with it.
    }
  };
  const savedGroups = new Map<string, Set<unknown>>();
  const features = new Map<string, CompiledFeature>();
  const stickyAttributes = new Set<string>();
  try {
    const p: unknown = payload;
    if (!isRecord(p)) {
      report('payload', 'the payload must be an object');
    } else {
      if (p.savedGroups !== undefined && !isRecord(p.savedGroups)) report('savedGroups', 'must be an object');
      for (const [id, members] of Object.entries(isRecord(p.savedGroups) ? p.savedGroups : {})) {
        if (Array.isArray(members)) savedGroups.set(id, new Set(members));
        else report(`savedGroups.${id}`, 'a saved group must be an array of values');
      }
      if (p.features === undefined && typeof p.encryptedFeatures === 'string') {
        report('encryptedFeatures', 'the payload is encrypted: decrypt it with decryptPayload() first');
      }
      const bandits = isRecord(p.contextualBandits)
        ? (p.contextualBandits as Record<string, ContextualBanditDefinition>)
        : undefined;
      const scope: ConditionScope = { savedGroups, report };
      for (const [key, def] of Object.entries(isRecord(p.features) ? p.features : {})) {
        const feature = compileFeature(key, def, scope, bandits);
        features.set(key, feature);
        for (const rule of feature.rules) {
          const exp = rule.experiment;
          // Preload for every experiment, sticky or not: the documents are what the host persists
          // back, and a unit's document must not lose other experiments' assignments.
          if (!exp) continue;
          stickyAttributes.add(exp.hashAttribute);
          if (exp.fallbackAttribute) stickyAttributes.add(exp.fallbackAttribute);
        }
      }
    }
  } catch (error) {
    report('payload', `compilation failed: ${String(error)}`);
  }
  return {
    features,
    savedGroups,
    stickyBucketAttributes: [...stickyAttributes],
    issues,
    dateUpdated: typeof payload?.dateUpdated === 'string' ? payload.dateUpdated : undefined,
    payload,
  };
}
