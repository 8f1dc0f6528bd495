// Version operators ($vgt, $veq...) compare versions as plain strings after normalising them, so a
// compiled condition pre-normalises its operand once and compares with `<` at evaluation time.

// Real traffic carries few distinct versions (the app versions in use), so normalised forms are
// remembered; the bound keeps hostile or unusual input from growing memory without limit.
const cache = new Map<unknown, string>();

/**
 * Normalises a (semver-like) version so that string order is version order: drops a leading `v`
 * and `+build` metadata, splits on `.` and `-`, left-pads numeric parts to 5 characters and, for a
 * plain `x.y.z`, appends `~` so a release sorts after its pre-releases. Anything that is not a
 * non-empty string or a number (a missing attribute included) is version `0`, as in the reference SDKs.
 *
 * @example
 * padVersion('1.10.0') > padVersion('1.9.0'); // true
 * padVersion('1.0.0') > padVersion('1.0.0-rc.1'); // true
 */
export function padVersion(input: unknown): string {
  let padded = cache.get(input);
  if (padded === undefined) {
    const text = typeof input === 'number' ? String(input) : typeof input === 'string' && input ? input : '0';
    const parts = text.replace(/^v|\+.*$/g, '').split(/[-.]/);
    if (parts.length === 3) parts.push('~');
    padded = parts.map((p) => (/^\d+$/.test(p) ? p.padStart(5, ' ') : p)).join('-');
    if (cache.size > 2047) cache.clear();
    cache.set(input, padded);
  }
  return padded;
}
