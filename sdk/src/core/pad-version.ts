// Version operators ($vgt, $veq...) compare versions as plain strings after normalising them, so a
// compiled condition can pre-normalise its operand once and compare with `<` at evaluation time.

const NUMERIC = /^[0-9]+$/;

/**
 * Normalises a (semver-like) version so that string order is version order: drops a leading `v`
 * and `+build` metadata, splits on `.` and `-`, left-pads numeric parts to 5 characters and, for a
 * plain `x.y.z`, appends `~` so a release sorts after its pre-releases.
 *
 * @example
 * padVersion('1.10.0') > padVersion('1.9.0'); // true
 * padVersion('1.0.0') > padVersion('1.0.0-rc.1'); // true
 */
export function padVersion(input: string): string {
  let text = input.charCodeAt(0) === 118 /* v */ ? input.slice(1) : input;
  const plus = text.indexOf('+');
  if (plus >= 0) text = text.slice(0, plus);
  const parts = text.split(/[-.]/);
  if (parts.length === 3) parts.push('~');
  for (let i = 0; i < parts.length; i++) {
    if (NUMERIC.test(parts[i])) parts[i] = parts[i].padStart(5, ' ');
  }
  return parts.join('-');
}

// Real traffic carries few distinct versions (the app versions in use), so normalised forms are
// remembered; the bound keeps hostile or unusual input from growing memory without limit.
const CACHE_LIMIT = 2048;
const cache = new Map<string, string>();

/**
 * `padVersion` with a bounded memo, for evaluation-time use.
 *
 * @example
 * padVersionCached('2.10.0') === padVersion('2.10.0'); // true
 */
export function padVersionCached(input: string): string {
  let padded = cache.get(input);
  if (padded === undefined) {
    padded = padVersion(input);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(input, padded);
  }
  return padded;
}
