import type { RulesetCache } from './client-types.js';

// One per process, so a second client (or a client re-created after a hot reload) starts warm.
const memory = new Map<string, string>();

/**
 * An in-memory {@link RulesetCache}, shared by the clients of one process.
 *
 * @example
 * createClient({ apiHost, sdkKey, cache: memoryCache() });
 */
export const memoryCache = (): RulesetCache => ({
  get: (key) => memory.get(key),
  set: (key, value) => void memory.set(key, value),
});

/**
 * The part of the Web Storage API (`localStorage`, `sessionStorage`) the cache uses.
 *
 * @example
 * localStorageCache(sessionStorage);
 */
export interface WebStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * A {@link RulesetCache} in `localStorage`, so a returning visitor starts from the last ruleset
 * even offline. A full or forbidden storage only costs the client a warning: the cache is an
 * optimisation.
 *
 * @example
 * createClient({ apiHost, sdkKey, cache: localStorageCache() });
 */
export const localStorageCache = (storage: WebStorage = globalThis.localStorage): RulesetCache => ({
  get: (key) => storage.getItem(key),
  set: (key, value) => storage.setItem(key, value),
});

/**
 * `localStorage` when the page has a usable one, memory otherwise (Node, workers).
 *
 * @example
 * const cache = defaultCache();
 */
export function defaultCache(): RulesetCache {
  try {
    // Reading localStorage throws where storage is disabled, and is a ReferenceError in Node.
    if (localStorage) return localStorageCache(localStorage);
  } catch {
    // memory, then
  }
  return memoryCache();
}
