// The evaluation playground: what a unit with these attributes gets, and why — computed by the same
// engine the SDKs run, on the environment's real ruleset, with a trace of every rule.
import { compile, evalCondition, evaluate, type Attributes, type RegexFactory } from '@flagstaff/sdk/core';
import type { BuiltRuleset } from '../sdk-api/ruleset-cache.ts';
import { flagResult } from '../sdk-api/flag-result.ts';
import type { Segment } from '../segments/segment-store.ts';
import { compileRule } from './compile-flag.ts';
import type { FlagConfig, FlagView } from './flag-service.ts';

export type RuleOutcome =
  | 'matched'
  | 'condition_not_met'
  | 'not_in_rollout'
  | 'prerequisite_failed'
  | 'disabled'
  | 'not_reached'
  | 'flag_off';

export interface PlaygroundResult extends ReturnType<typeof flagResult> {
  environment: string;
  trace: { ruleId: string; type: string; outcome: RuleOutcome }[];
}

export function runPlayground(
  flag: FlagView,
  config: FlagConfig,
  built: BuiltRuleset,
  segments: Segment[],
  attributes: Attributes,
  regex: RegexFactory,
): PlaygroundResult {
  const features = built.payload.features ?? {};
  const savedGroups = built.payload.savedGroups;
  const result = flagResult(evaluate(built.compiled(), flag.key, { attributes }));
  if (flag.archived) return { ...result, environment: config.environment, trace: [] };
  if (!config.enabled) {
    // The engine already says DISABLED (a switched-off flag is served without rules).
    return {
      ...result,
      environment: config.environment,
      trace: config.rules.map((rule) => ({ ruleId: rule.id, type: rule.type, outcome: 'flag_off' as const })),
    };
  }
  const segmentMap = new Map(segments.map((s) => [s.key, s]));
  let decided = false;
  const trace = config.rules.map((rule) => {
    const entry = (outcome: RuleOutcome) => ({ ruleId: rule.id, type: rule.type, outcome });
    if (!rule.enabled) return entry('disabled');
    if (decided) return entry('not_reached');
    // The rule alone, among the real features (prerequisites refer to them), through the engine.
    const compiled = compileRule(flag.key, rule, segmentMap);
    const alone = compile(
      {
        features: { ...features, [flag.key]: { defaultValue: flag.defaultValue, rules: [compiled] } },
        savedGroups,
      },
      { regex },
    );
    const evaluation = evaluate(alone, flag.key, { attributes });
    if (evaluation.ruleId === rule.id) {
      decided = true;
      return entry('matched');
    }
    if (compiled.condition && !evalCondition(attributes, compiled.condition, savedGroups, undefined, regex))
      return entry('condition_not_met');
    const parentsMet = (rule.prerequisites ?? []).every((p) =>
      evalCondition(
        { value: evaluate(built.compiled(), p.flag, { attributes }).value },
        p.condition,
        undefined,
        undefined,
        regex,
      ),
    );
    if (!parentsMet || evaluation.reason === 'CYCLIC_PREREQUISITE') return entry('prerequisite_failed');
    return entry('not_in_rollout');
  });
  return { ...result, environment: config.environment, trace };
}
