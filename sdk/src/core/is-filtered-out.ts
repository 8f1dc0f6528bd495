// Filters slice traffic by hash (mutual exclusion between experiments, holdouts): a unit must fall
// inside one range of every filter.
import type { CompiledFilter } from './compiled-types.js';
import { chooseVariation } from './get-bucket-ranges.js';
import type { Attributes } from './types.js';

/**
 * Whether any filter excludes the unit: it lacks the filter's attribute, or its hash under the
 * filter's seed falls outside every range of the filter.
 *
 * @example
 * isFilteredOut({ id: 'u1' }, ruleset.features.get('f')!.rules[0].filters ?? []);
 */
export function isFilteredOut(attributes: Attributes, filters: readonly CompiledFilter[]): boolean {
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i];
    const v = attributes[f.attribute];
    if (!v || f.hasher === null) return true;
    if (chooseVariation(f.hasher(typeof v === 'string' ? v : String(v)), f.ranges) < 0) return true;
  }
  return false;
}
