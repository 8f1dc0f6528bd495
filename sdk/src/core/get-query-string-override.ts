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
  // The query: after the first `?`, up to the fragment.
  const query = /\?([^#]*)/.exec(url);
  const raw = query && new URLSearchParams(query[1]).get(id);
  return raw && /^[0-9]+$/.test(raw) && +raw < numVariations ? +raw : null;
}
