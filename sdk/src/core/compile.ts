// Compiles a payload once per update into a CompiledRuleset. Each feature and each rule compiles
// inside its own try/catch: whatever is wrong with one (bad regex, wrong types) is reported with
// the feature and rule index and degrades only that part; compile itself never throws. Payloads are
// validated field by field where they are written (the server), not here.
import { compileRule } from './compile-rule.js';
import type { RuleScope } from './compile-rule.js';
import type {
  CompileIssue,
  CompileLogger,
  CompiledFeature,
  CompiledRule,
  CompiledRuleset,
} from './compiled-types.js';
import type { RegexFactory } from './compile-condition.js';
import type { BanditCompiler } from './contextual-bandits.js';
import type { FeatureDefinition, FeaturePayload } from './types.js';

/** Options of `compile`. */
export interface CompileOptions {
  /** Receives every problem found in the payload (`console.warn` fits). */
  logger?: CompileLogger;
  /**
   * Compile contextual-bandit rules (pass `contextualBandits`); without it they are reported and
   * never apply. An opt-in, so that bundles that do not need them leave them out.
   */
  contextualBandits?: BanditCompiler;
  /**
   * Compiles `$regex` / `$regexi` operands (default: `RegExp`). Browsers and apps keep the
   * default; a server evaluating attributes sent by others passes a linear-time engine.
   */
  regex?: RegexFactory;
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
  const features = new Map<string, CompiledFeature>();
  const p = payload || {};
  let path = 'payload';
  const scope: RuleScope = {
    savedGroups: p.savedGroups || {},
    report(message) {
      const issue = { path, message };
      issues.push(issue);
      try {
        options.logger?.(`${path}: ${message}`, issue);
      } catch {
        // A failing logger must not take evaluation down with it.
      }
    },
    payload: p,
    bandits: options.contextualBandits,
    regex: options.regex,
    stickyAttributes: new Set(),
  };
  const attempt = (at: string, part: () => void) => {
    path = at;
    try {
      part();
    } catch (error) {
      scope.report(String(error));
    }
  };
  if (!p.features && p.encryptedFeatures) scope.report('encrypted: decryptPayload() it first');
  for (const [key, def] of Object.entries(p.features || {}) as [string, FeatureDefinition][]) {
    const at = 'features.' + key;
    attempt(at, () => {
      const rules: CompiledRule[] | undefined = def.rules && [];
      features.set(key, { defaultValue: def.defaultValue ?? null, rules });
      def.rules?.forEach((rule, i) =>
        attempt(`${at}.rules[${i}]`, () => rules?.push(compileRule(rule, key, scope))),
      );
    });
  }
  return {
    features,
    savedGroups: scope.savedGroups,
    stickyBucketAttributes: [...scope.stickyAttributes],
    issues,
    payload,
  };
}
