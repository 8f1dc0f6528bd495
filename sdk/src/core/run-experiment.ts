// Running an experiment definition directly (the specification's `run`), outside any feature:
// QA tools, the evaluation playground, the conformance suite. Definitions are compiled on first
// use and cached per object, so running the same definition repeatedly stays cheap.
import { compile } from './compile.js';
import { compileExperiment } from './compile-experiment.js';
import type { CompiledExperiment, CompiledRuleset } from './compiled-types.js';
import { runCompiled } from './evaluate.js';
import type { EvaluationContext, ExperimentDefinition, ExperimentResult } from './types.js';

const EMPTY_RULESET = compile({});
const cache = new WeakMap<ExperimentDefinition, [CompiledRuleset, CompiledExperiment]>();

/**
 * Runs an experiment for the unit in `context`. `ruleset` supplies saved groups and the features
 * that `parentConditions` refer to. Never throws: a failure yields a not-in-experiment result.
 *
 * @example
 * const r = runExperiment({ key: 'cta-color', variations: ['blue', 'green'] }, { attributes: { id: 'u1' } });
 * if (r.inExperiment && r.hashUsed) track(r);
 */
export function runExperiment<T = unknown>(
  experiment: ExperimentDefinition<T>,
  context: EvaluationContext,
  ruleset: CompiledRuleset = EMPTY_RULESET,
): ExperimentResult<T> {
  const def = experiment as ExperimentDefinition;
  try {
    let entry = cache.get(def);
    if (entry?.[0] !== ruleset) {
      entry = [ruleset, compileExperiment(def, { savedGroups: ruleset.savedGroups, report: () => {} })];
      cache.set(def, entry);
    }
    return runCompiled(ruleset, entry[1], context, null, []) as ExperimentResult<T>; // always set for definitions
  } catch {
    return {
      key: '0',
      featureId: null,
      inExperiment: false,
      hashUsed: false,
      variationId: 0,
      value: def.variations?.[0] as T,
      hashAttribute: def.hashAttribute || 'id',
      hashValue: '',
      stickyBucketUsed: false,
    };
  }
}
