// Attributes the server evaluates (`/sdk/v1/evaluate`, the playground) come from anyone holding a
// client key. A string longer than MAX_ATTRIBUTE_LENGTH is refused with a 400 naming it, before
// any rule runs: no honest unit has a 100 KB user agent, and a refusal tells the integrator, where
// a silent "does not match" would hand the unit a value different from the one a local SDK computes.
import { validationFailed } from '../errors.ts';

/**
 * Throws a 400 naming every string in `attributes` (at any depth) longer than `maxLength`.
 *
 * @example
 * checkAttributeLengths({ name: 'a'.repeat(5000) }, 4096); // 400 `body.attributes.name: …`
 */
export function checkAttributeLengths(
  attributes: Record<string, unknown>,
  maxLength: number,
  path = 'body.attributes',
): void {
  const issues: { path: string; message: string }[] = [];
  // A stack, not recursion: nesting is bounded elsewhere, and this walk needs no such bound.
  const stack: [string, unknown][] = [[path, attributes]];
  while (stack.length > 0 && issues.length < 10) {
    const [at, value] = stack.pop()!;
    if (typeof value === 'string' && value.length > maxLength)
      issues.push({ path: at, message: `${value.length} characters; at most ${maxLength} are evaluated` });
    else if (typeof value === 'object' && value !== null)
      for (const [key, item] of Object.entries(value)) stack.push([`${at}.${key}`, item]);
  }
  if (issues.length > 0) throw validationFailed(issues.reverse());
}
