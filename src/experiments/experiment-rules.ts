// The rules an experiment writes into its flag's environment config, and the checks on its variations.
import { AppError, conflict } from '../errors.ts';
import type { Rule } from '../flags/flag-schemas.ts';
import type { FlagRow } from '../flags/flag-store.ts';
import { experimentRuleId } from '../flags/managed-rules.ts';
import { valueTypeError } from '../flags/flag-values.ts';
import { jsonValueIssue, type JsonLimits } from '../json-limits.ts';
import type { ExperimentStatus } from './analysis-spec.ts';
import type { ExperimentRow } from './experiment-store.ts';

export type Variation = ExperimentRow['variations'][number];
export interface Issue {
  path: string;
  message: string;
}

/** The ids of the rules an experiment writes into its flag's environment config. */
export { experimentRuleId };
export const shipRuleId = (key: string) => `ship_${key}`;

export function wrongStatus(row: ExperimentRow, action: string, allowed: ExperimentStatus[]): AppError {
  return conflict(
    `experiment '${row.key}' is ${row.status}; it can ${action} only when ${allowed.join(' or ')}`,
    { status: row.status },
  );
}

/** The experiment rule as the flag config holds it; `phase` travels to the SDK with exposures. */
export function experimentRule(row: ExperimentRow, phase: number): Rule {
  return {
    id: experimentRuleId(row.key),
    type: 'experiment',
    enabled: true,
    description: `Experiment '${row.key}' (managed by the experiment; stop or ship it instead of editing)`,
    experiment: row.key,
    variations: row.variations.map(({ key, value, weight }) => ({ key, value, weight })),
    coverage: row.coverage,
    hashAttribute: row.hashAttribute,
    phase: String(phase),
  };
}

/** Values of the flag's type within the size and depth limits, weights adding up to 1, unique keys. */
export function variationIssues(flag: FlagRow, variations: Variation[], limits: JsonLimits): Issue[] {
  const issues: Issue[] = [];
  variations.forEach((v, i) => {
    const path = `body.variations.${i}.value`;
    const limitIssue = jsonValueIssue(v.value, path, limits);
    const error = limitIssue ? undefined : valueTypeError(flag.valueType, v.value);
    if (limitIssue) issues.push(limitIssue);
    else if (error) issues.push({ path, message: error });
  });
  const total = variations.reduce((sum, v) => sum + v.weight, 0);
  if (Math.abs(total - 1) > 1e-6)
    issues.push({ path: 'body.variations', message: `weights must add up to 1 (they add up to ${total})` });
  const keys = variations.map((v) => v.key);
  if (new Set(keys).size !== keys.length)
    issues.push({ path: 'body.variations', message: 'variation keys must be unique' });
  return issues;
}

export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
