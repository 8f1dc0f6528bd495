// Compiles one experiment (a feature's experiment rule, or a definition passed to `runExperiment`)
// into everything `run` needs, validating as it goes: a broken part is reported and degrades to
// "nobody enters", never to an exception.
import { compileCondition, isNum, isRecord, str } from './compile-condition.js';
import type { ConditionScope } from './compile-condition.js';
import type { CompiledExperiment, CompiledFilter, CompiledParent } from './compiled-types.js';
import { getBucketRanges } from './get-bucket-ranges.js';
import type { BucketRange } from './get-bucket-ranges.js';
import { makeHasher } from './hash.js';
import type { Hasher } from './hash.js';
import type { BanditCompiler } from './contextual-bandits.js';
import type { ContextualBanditDefinition, ExperimentDefinition } from './types.js';

/**
 * `[start, end]` pairs of numbers, or `null` (reported) when the value is anything else.
 *
 * @example
 * readRanges([[0, 0.5]], scope, 'ranges'); // [[0, 0.5]]
 */
export function readRanges(value: unknown, scope: ConditionScope, path: string): BucketRange[] | null {
  if (
    Array.isArray(value) &&
    value.every((r) => Array.isArray(r) && r.length === 2 && isNum(r[0]) && isNum(r[1]))
  ) {
    return value as BucketRange[];
  }
  scope.report(path, 'expected [start, end] ranges');
  return null;
}

/**
 * The hasher for an experiment or a rollout: `seed` (default `defaultSeed`) and `hashVersion`
 * (default 1); an unknown version is reported and gives `null` (nobody enters).
 *
 * @example
 * compileHasher({ seed: 'pricing', hashVersion: 2 }, 'checkout', scope, 'rules[0]');
 */
export function compileHasher(
  def: { seed?: unknown; hashVersion?: unknown },
  defaultSeed: string,
  scope: ConditionScope,
  path: string,
): Hasher | null {
  const version = isNum(def.hashVersion) && def.hashVersion ? def.hashVersion : 1;
  const hasher = makeHasher(str(def.seed) ?? defaultSeed, version);
  if (!hasher) scope.report(`${path}.hashVersion`, `unknown hash version ${String(def.hashVersion)}`);
  return hasher;
}

/**
 * Filters (mutual exclusion slices); an invalid filter excludes everyone.
 *
 * @example
 * compileFilters([{ seed: 'pricing', ranges: [[0, 0.5]] }], scope, 'filters');
 */
export function compileFilters(value: unknown, scope: ConditionScope, path: string): CompiledFilter[] | null {
  if (value === undefined) return null;
  if (!Array.isArray(value)) {
    scope.report(path, 'expected an array');
    return [{ attribute: 'id', hasher: null, ranges: [] }];
  }
  return value.map((f: unknown, i): CompiledFilter => {
    const at = `${path}[${i}]`;
    if (!isRecord(f) || typeof f.seed !== 'string') {
      scope.report(at, 'expected a string seed');
      return { attribute: 'id', hasher: null, ranges: [] };
    }
    return {
      attribute: str(f.attribute) ?? 'id',
      hasher: makeHasher(f.seed, isNum(f.hashVersion) && f.hashVersion ? f.hashVersion : 2),
      ranges: readRanges(f.ranges, scope, `${at}.ranges`) ?? [],
    };
  });
}

/**
 * Prerequisites: each parent flag's value must satisfy a condition on `{ value }`.
 *
 * @example
 * compileParents([{ id: 'new-nav', condition: { value: true }, gate: true }], scope, 'parentConditions');
 */
export function compileParents(value: unknown, scope: ConditionScope, path: string): CompiledParent[] | null {
  if (value === undefined) return null;
  if (!Array.isArray(value)) {
    scope.report(path, 'expected an array');
    return [{ id: '', test: () => false, gate: true }];
  }
  return value.map((p: unknown, i): CompiledParent => {
    const at = `${path}[${i}]`;
    if (!isRecord(p) || typeof p.id !== 'string') {
      scope.report(at, 'expected a string id');
      return { id: '', test: () => false, gate: true };
    }
    return {
      id: p.id,
      test: compileCondition(p.condition ?? {}, scope, `${at}.condition`),
      gate: p.gate === true,
    };
  });
}

/**
 * Compiles an experiment definition. `bandit` is given for contextual-bandit rules (which compile
 * only with `scope.contextualBandits`).
 *
 * @example
 * const exp = compileExperiment({ key: 'checkout', variations: [false, true] }, scope, 'run');
 */
export function compileExperiment(
  def: ExperimentDefinition,
  scope: ConditionScope,
  path: string,
  bandit?: { definition: ContextualBanditDefinition | undefined; compile: BanditCompiler },
): CompiledExperiment {
  const variations = Array.isArray(def.variations) ? def.variations : [];
  const n = variations.length;
  const key = String(def.key);
  const meta = Array.isArray(def.meta) ? def.meta : [];
  const variationKeys: string[] = [];
  const variationNames: (string | undefined)[] = [];
  const passthrough: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const m: unknown = meta[i];
    const rec = isRecord(m) ? m : {};
    variationKeys.push(str(rec.key) ?? String(i));
    variationNames.push(str(rec.name));
    passthrough.push(rec.passthrough === true);
  }
  const coverage = isNum(def.coverage) ? def.coverage : 1;
  let ranges: BucketRange[];
  if (def.ranges !== undefined) ranges = readRanges(def.ranges, scope, `${path}.ranges`) ?? [];
  else ranges = getBucketRanges(n, coverage, def.weights);

  let namespace: [string, number, number] | null = null;
  if (def.namespace !== undefined) {
    const ns: unknown = def.namespace;
    if (Array.isArray(ns) && typeof ns[0] === 'string' && isNum(ns[1]) && isNum(ns[2])) {
      namespace = [ns[0], ns[1], ns[2]];
    } else {
      scope.report(`${path}.namespace`, 'expected [id, start, end]');
      namespace = ['', 0, 0];
    }
  }
  const hasher = compileHasher(def, key, scope, path);
  const bucketVersion = isNum(def.bucketVersion) ? def.bucketVersion : 0;
  const minBucketVersion = isNum(def.minBucketVersion) ? def.minBucketVersion : 0;
  const blockedStickyKeys: string[] = [];
  for (let v = 0; v < minBucketVersion; v++) blockedStickyKeys.push(`${key}__${v}`);

  return {
    definition: def,
    key,
    variations,
    variationKeys,
    variationNames,
    passthrough,
    active: def.active !== false,
    force: def.force === undefined ? undefined : isNum(def.force) ? def.force : -1,
    hashAttribute: str(def.hashAttribute) ?? 'id',
    fallbackAttribute: str(def.fallbackAttribute),
    hasher,
    ranges,
    filters: compileFilters(def.filters, scope, `${path}.filters`),
    filtersPrechecked: false,
    namespace,
    condition:
      def.condition === undefined ? null : compileCondition(def.condition, scope, `${path}.condition`),
    parents: compileParents(def.parentConditions, scope, `${path}.parentConditions`),
    stickyDisabled: def.disableStickyBucketing === true,
    stickyKey: `${key}__${bucketVersion}`,
    blockedStickyKeys,
    bandit: bandit
      ? bandit.compile(bandit.definition, def, n, coverage, scope, `${path}.contextualBandit`)
      : null,
  };
}
