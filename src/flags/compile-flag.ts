// Turns flags as people configure them into the SDK payload (GrowthBook SDK payload format, see
// docs/decisions/0001): one feature per flag, one payload rule per enabled rule, segments inlined
// as conditions or shipped once as saved groups.
import type { Condition, FeatureDefinition, FeaturePayload, FeatureRule } from '@flagstaff/sdk/core';
import type { Segment } from '../segments/segment-store.ts';
import { segmentReferences } from './condition-validator.ts';
import type { Rule } from './flag-schemas.ts';
import type { FlagConfigRow, FlagRow } from './flag-store.ts';

/** Everything Flagstaff writes hashes with FNV-1a v2 (v1 has known bias on short keys). */
const HASH_VERSION = 2;

function ruleCondition(rule: Rule, segments: Map<string, Segment>): Condition | undefined {
  const parts: Condition[] = [];
  if (rule.condition && Object.keys(rule.condition).length > 0) parts.push(rule.condition);
  for (const key of rule.segments ?? []) {
    const segment = segments.get(key);
    if (!segment) continue; // refused when saved; a segment deleted since cannot match anyone
    parts.push(
      segment.kind === 'condition' ? segment.condition! : { [segment.attribute!]: { $inGroup: key } },
    );
  }
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { $and: parts };
}

export function compileRule(flagKey: string, rule: Rule, segments: Map<string, Segment>): FeatureRule {
  const compiled: FeatureRule = { id: rule.id };
  const condition = ruleCondition(rule, segments);
  if (condition) compiled.condition = condition;
  if (rule.prerequisites?.length) {
    // Not a gate: an unmet prerequisite skips this rule, it does not switch the whole flag off.
    compiled.parentConditions = rule.prerequisites.map((p) => ({ id: p.flag, condition: p.condition }));
  }
  switch (rule.type) {
    case 'force':
      compiled.force = rule.value;
      break;
    case 'rollout':
      Object.assign(compiled, {
        force: rule.value,
        coverage: rule.coverage,
        hashAttribute: rule.hashAttribute,
        hashVersion: HASH_VERSION,
        seed: rule.seed ?? flagKey,
      });
      break;
    case 'experiment':
      Object.assign(compiled, {
        key: rule.experiment,
        variations: rule.variations.map((v) => v.value),
        weights: rule.variations.map((v) => v.weight),
        meta: rule.variations.map((v) => ({ key: v.key })),
        coverage: rule.coverage,
        hashAttribute: rule.hashAttribute,
        hashVersion: HASH_VERSION,
        seed: rule.seed ?? rule.experiment,
        ...(rule.fallbackAttribute ? { fallbackAttribute: rule.fallbackAttribute } : {}),
        ...(rule.phase ? { phase: rule.phase } : {}),
        ...(rule.namespace
          ? { namespace: [rule.namespace.key, rule.namespace.range[0], rule.namespace.range[1]] }
          : {}),
      });
      break;
  }
  return compiled;
}

/** A flag switched off (or never configured) in an environment serves its default value, with no rules. */
export function compileFeature(
  flag: FlagRow,
  config: FlagConfigRow | null,
  segments: Map<string, Segment>,
): FeatureDefinition {
  if (!config?.enabled) return { defaultValue: flag.defaultValue };
  const rules = (config.rules as Rule[])
    .filter((rule) => rule.enabled)
    .map((rule) => compileRule(flag.key, rule, segments));
  // `rules` present (even empty) means "on": the engine reports DEFAULT; absent means DISABLED.
  return { defaultValue: flag.defaultValue, rules };
}

export function compilePayload(
  entries: { flag: FlagRow; config: FlagConfigRow | null }[],
  segmentList: Segment[],
  dateUpdated: Date,
): FeaturePayload {
  const segments = new Map(segmentList.map((s) => [s.key, s]));
  const features: Record<string, FeatureDefinition> = {};
  for (const { flag, config } of entries) features[flag.key] = compileFeature(flag, config, segments);
  // Only id lists that some served rule uses travel to SDKs; a 100k-id list nobody uses stays home.
  const used = segmentReferences(features);
  const savedGroups: Record<string, unknown[]> = {};
  for (const key of used) {
    const segment = segments.get(key);
    if (segment?.kind === 'ids') savedGroups[key] = segment.ids ?? [];
  }
  return {
    features,
    ...(Object.keys(savedGroups).length > 0 ? { savedGroups } : {}),
    dateUpdated: dateUpdated.toISOString(),
  };
}
