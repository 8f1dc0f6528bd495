// The one-shot form of condition evaluation, for tests, tools and the conformance suite. Hot paths
// use conditions compiled by `compile()`, which never re-parse.
import { compileCondition } from './compile-condition.js';
import type { RegexFactory } from './compile-condition.js';
import type { Attributes, Condition } from './types.js';

/**
 * Evaluates a MongoDB-style condition against attributes (compiling it on the fly).
 *
 * @example
 * evalCondition({ country: 'NL', age: 30 }, { country: { $in: ['NL', 'BE'] }, age: { $gte: 18 } }); // true
 * evalCondition({ id: 1 }, { id: { $inGroup: 'beta' } }, { beta: [1, 2] }); // true
 *
 * `regex` compiles `$regex` / `$regexi` operands (default `RegExp`; see `CompileOptions.regex`).
 */
export function evalCondition(
  attributes: Attributes,
  condition: Condition,
  savedGroups: Record<string, unknown[]> = {},
  logger?: (message: string) => void,
  regex?: RegexFactory,
): boolean {
  try {
    return compileCondition(condition, { savedGroups, report: (message) => logger?.(message), regex })(
      attributes,
    );
  } catch (error) {
    logger?.(String(error));
    return false;
  }
}
