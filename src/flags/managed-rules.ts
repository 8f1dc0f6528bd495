// Rules that an experiment writes into a flag's config while it runs. The flag API may reorder
// them but not change, disable, remove or forge them: an edit would silently alter who is in a
// running experiment and break its analysis. Stopping, shipping or abandoning the experiment is
// how they go away.
import { isDeepStrictEqual } from 'node:util';
import { conflict } from '../errors.ts';
import type { Rule } from './flag-schemas.ts';

const PREFIX = 'exp_';

/** The id of the rule a running experiment keeps in its flag's environment config. */
export const experimentRuleId = (experimentKey: string) => `${PREFIX}${experimentKey}`;

const isManaged = (id: string) => id.startsWith(PREFIX);
// Compared as JSON: absent and undefined fields are the same rule.
const same = (a: Rule, b: Rule) =>
  isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));

const refused = (id: string) =>
  conflict(
    `rule '${id}' is managed by experiment '${id.slice(PREFIX.length)}': stop, ship or abandon the experiment to change it`,
    {
      rule: id,
    },
  );

/** Throws a 409 when `next` changes, drops or adds an experiment's rule relative to `current`. */
export function checkManagedRules(current: Rule[], next: Rule[]): void {
  for (const rule of current.filter((r) => isManaged(r.id))) {
    const kept = next.find((r) => r.id === rule.id);
    if (!kept || !same(kept, rule)) throw refused(rule.id);
  }
  const forged = next.find((r) => isManaged(r.id) && !current.some((c) => c.id === r.id));
  if (forged) throw refused(forged.id);
}
