// What a flag's rules point at: segments (directly or through $inGroup) and other flags
// (prerequisites). Deleting something still pointed at is refused.
import { segmentReferences } from './condition-validator.ts';
import type { Rule } from './flag-schemas.ts';

export function segmentsUsedBy(rules: readonly Rule[]): Set<string> {
  const found = new Set<string>();
  for (const rule of rules) {
    for (const key of rule.segments ?? []) found.add(key);
    segmentReferences(rule.condition, found);
    for (const prerequisite of rule.prerequisites ?? []) segmentReferences(prerequisite.condition, found);
  }
  return found;
}

export function flagsRequiredBy(rules: readonly Rule[]): Set<string> {
  return new Set(rules.flatMap((rule) => (rule.prerequisites ?? []).map((p) => p.flag)));
}
