// Headers every answer carries (the request pipeline adds them, so the ruleset's fast lane, errors
// and unmatched routes get them too): no MIME sniffing, no framing by other sites (clickjacking),
// no Referer leaking URLs. JSON answers under /api and /sdk also forbid loading anything, and
// management answers are never stored by a browser or proxy cache: one of them carries a new API
// key's secret. SDK answers keep their own caching (ETag + `no-cache`, revalidated each time). A
// route that sets one of these itself (the docs page's CSP, its assets' Cache-Control) wins.

const everywhere = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

const sdk = { ...everywhere, 'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'" };

const api = { ...sdk, 'Cache-Control': 'no-store' };

/** The secure headers for an answer on `path` (a shared object: copy it before changing it). */
export function secureHeaders(path: string): Readonly<Record<string, string>> {
  if (path.startsWith('/api/')) return api;
  return path.startsWith('/sdk/') ? sdk : everywhere;
}
