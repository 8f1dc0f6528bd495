// QA forcing through the page URL (`?my-experiment=1`), used by `run` when the context has a URL.

/**
 * The variation index forced by the URL's query string for experiment `id`, or `null` when the
 * URL does not force one (absent, not an integer, out of range).
 *
 * @example
 * getQueryStringOverride('my-test', 'https://example.com/?my-test=1', 2); // 1
 */
export function getQueryStringOverride(id: string, url: string, numVariations: number): number | null {
  // The query: after the first `?`, up to the fragment.
  const raw = new URLSearchParams(url.split('?')[1]?.split('#')[0]).get(id);
  return raw && /^\d+$/.test(raw) && +raw < numVariations ? +raw : null;
}
