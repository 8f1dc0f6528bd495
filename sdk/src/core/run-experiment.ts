// Running an experiment definition directly (the specification's `run`), outside any feature:
// QA tools, the evaluation playground, the conformance suite. Definitions are compiled on first
// use and cached per object, so running the same definition repeatedly stays cheap.
import { compile } from './compile.js';
import { compileExperiment } from './compile-experiment.js';
import type { CompiledExperiment, CompiledRuleset } from './compiled-types.js';
import { runCompiled } from './run-compiled.js';
import type { EvaluationContext, ExperimentDefinition, ExperimentResult } from './types.js';

const EMPTY_RULESET = compile({});
const cache = new WeakMap<ExperimentDefinition, { ruleset: CompiledRuleset; exp: CompiledExperiment }>();

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
    if (entry === undefined || entry.ruleset !== ruleset) {
      const scope = {
        savedGroups: ruleset.savedGroups,
        report: (): void => {},
      };
      entry = { ruleset, exp: compileExperiment(def, scope, 'experiment') };
      cache.set(def, entry);
    }
    return runCompiled(ruleset, entry.exp, context, null, null, true) as ExperimentResult<T>;
  } catch {
    const variations = Array.isArray(def.variations) ? def.variations : [];
    return {
      key: '0',
      featureId: null,
      inExperiment: false,
      hashUsed: false,
      variationId: 0,
      value: variations[0] as T,
      hashAttribute: def.hashAttribute || 'id',
      hashValue: '',
      stickyBucketUsed: false,
    };
  }
}
