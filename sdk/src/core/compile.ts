// Compiles a payload once per update into a CompiledRuleset. Each feature and rule is compiled in
// isolation: whatever is wrong with one (bad regex, wrong types) is reported and degrades only
// that rule or condition; compile itself never throws.
import { isRecord } from './compile-condition.js';
import type { ConditionScope } from './compile-condition.js';
import { compileRule } from './compile-rule.js';
import type { CompileIssue, CompileLogger, CompiledFeature, CompiledRuleset } from './compiled-types.js';
import type { BanditScope } from './compile-rule.js';
import type { BanditCompiler } from './contextual-bandits.js';
import type { ContextualBanditDefinition, FeaturePayload } from './types.js';

/** Options of `compile`. */
export interface CompileOptions {
  /** Receives every problem found in the payload (`console.warn` fits). */
  logger?: CompileLogger;
  /**
   * Compile contextual-bandit rules (pass `contextualBandits`); without it they are reported and
   * never apply. An opt-in, so that bundles that do not need them leave them out.
   */
  contextualBandits?: BanditCompiler;
}

function compileFeature(
  key: string,
  raw: unknown,
  scope: ConditionScope,
  bandits: BanditScope | undefined,
): CompiledFeature {
  const path = `features.${key}`;
  if (!isRecord(raw)) {
    scope.report(path, 'expected an object');
    return { key, defaultValue: null, disabled: false, rules: [] };
  }
  const rules = raw.rules;
  if (rules !== undefined && !Array.isArray(rules)) scope.report(`${path}.rules`, 'expected an array');
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
      report('payload', 'expected an object');
    } else {
      if (p.savedGroups !== undefined && !isRecord(p.savedGroups))
        report('savedGroups', 'expected an object');
      for (const [id, members] of Object.entries(isRecord(p.savedGroups) ? p.savedGroups : {})) {
        if (Array.isArray(members)) savedGroups.set(id, new Set(members));
        else report(`savedGroups.${id}`, 'expected an array');
      }
      if (p.features === undefined && typeof p.encryptedFeatures === 'string') {
        report('encryptedFeatures', 'encrypted: decryptPayload() it first');
      }
      const bandits = options.contextualBandits && {
        definitions: (isRecord(p.contextualBandits) ? p.contextualBandits : {}) as Record<
          string,
          ContextualBanditDefinition
        >,
        compile: options.contextualBandits,
      };
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
