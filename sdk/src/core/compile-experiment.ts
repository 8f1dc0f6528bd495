// Compiles one experiment (a feature's rule, or a definition given to `runExperiment`) into what
// `run` needs. No field-by-field validation: whatever would break evaluation (a range that is not a
// pair, a filter or prerequisite that is not an object, a broken condition) throws here, and the
// caller drops the rule and reports it.
import { compileCondition } from './compile-condition.js';
import type { ConditionScope } from './compile-condition.js';
import type { CompiledExperiment, CompiledFilter, CompiledParent } from './compiled-types.js';
import { getBucketRanges } from './get-bucket-ranges.js';
import type { BucketRange } from './get-bucket-ranges.js';
import { makeHasher } from './hash.js';
import type { ExperimentDefinition, ParentCondition, VariationMeta } from './types.js';

// `[start, end]` pairs (`.map` and destructuring throw on anything else).
const readRanges = (value: unknown): BucketRange[] => (value as number[][]).map(([a, b]) => [a, b]);

/**
 * Prerequisites: each parent flag's value must satisfy a condition on `{ value }`.
 *
 * @example
 * compileParents([{ id: 'new-nav', condition: { value: true }, gate: true }], scope);
 */
export const compileParents = (value: unknown, scope: ConditionScope): CompiledParent[] | undefined =>
  value
    ? (value as ParentCondition[]).map((p) => ({
        id: p.id,
        test: compileCondition(p.condition, scope),
        gate: p.gate,
      }))
    : undefined;

/**
 * Compiles an experiment definition.
 *
 * @example
 * const exp = compileExperiment({ key: 'checkout', variations: [false, true] }, scope);
 */
export function compileExperiment(def: ExperimentDefinition, scope: ConditionScope): CompiledExperiment {
  const { key, variations, filters } = def;
  const meta: (VariationMeta | undefined)[] = def.meta || [];
  return {
    definition: def,
    key,
    variations,
    meta,
    variationKeys: variations.map((_, i) => meta[i]?.key || String(i)),
    active: def.active !== false,
    force: def.force,
    hashAttribute: def.hashAttribute || 'id',
    fallbackAttribute: def.fallbackAttribute,
    hasher: makeHasher(def.seed || key, def.hashVersion || 1),
    ranges: def.ranges
      ? readRanges(def.ranges)
      : getBucketRanges(variations.length, def.coverage, def.weights),
    filters:
      filters &&
      filters.map((f): CompiledFilter => ({
        attribute: f.attribute || 'id',
        hasher: makeHasher(f.seed, f.hashVersion || 2),
        ranges: readRanges(f.ranges),
      })),
    namespace: def.namespace,
    test: def.condition && compileCondition(def.condition, scope),
    parents: compileParents(def.parentConditions, scope),
    sticky: !def.disableStickyBucketing,
    stickyKey: `${key}__${def.bucketVersion || 0}`,
    minBucketVersion: def.minBucketVersion || 0,
  };
}
