// QA forcing through the page URL (`?my-experiment=1`), used by `run` when the context has a URL.

/**
 * The variation index forced by the URL's query string for experiment `id`, or `null` when the
 * URL does not force one (absent, not an integer, out of range).
 *
 * @example
 * getQueryStringOverride('my-test', 'https://example.com/?my-test=1', 2); // 1
 */
export function getQueryStringOverride(id: string, url: string, numVariations: number): number | null {
  if (typeof url !== 'string' || typeof id !== 'string') return null;
  const q = url.indexOf('?');
  if (q < 0) return null;
  const hashAt = url.indexOf('#', q);
  const query = url.slice(q + 1, hashAt < 0 ? undefined : hashAt);
  let raw: string | null;
  try {
    raw = new URLSearchParams(query).get(id);
  } catch {
    return null;
  }
  if (raw === null || !/^[0-9]+$/.test(raw)) return null;
  const index = Number(raw);
  return index < numVariations ? index : null;
}
