import type { RulesetCache } from './client-types.js';

// One per process, so a second client (or a client re-created after a hot reload) starts warm.
const memory = new Map<string, string>();

/**
 * An in-memory {@link RulesetCache}, shared by the clients of one process.
 *
 * @example
 * createClient({ apiHost, sdkKey, cache: memoryCache() });
 */
export function memoryCache(): RulesetCache {
  return { get: (key) => memory.get(key), set: (key, value) => void memory.set(key, value) };
}

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
 * even offline. Quota or privacy-mode errors are swallowed: the cache is an optimisation.
 *
 * @example
 * createClient({ apiHost, sdkKey, cache: localStorageCache() });
 */
export function localStorageCache(storage: WebStorage = globalThis.localStorage): RulesetCache {
  return {
    get(key) {
      try {
        return storage.getItem(key);
      } catch {
        return undefined;
      }
    },
    set(key, value) {
      try {
        storage.setItem(key, value);
      } catch {
        // full or forbidden: keep going without a cache
      }
    },
  };
}

/**
 * `localStorage` when the page has a usable one, memory otherwise (Node, workers).
 *
 * @example
 * const cache = defaultCache();
 */
export function defaultCache(): RulesetCache {
  try {
    if (typeof localStorage !== 'undefined' && localStorage) return localStorageCache(localStorage);
  } catch {
    // Accessing localStorage throws when storage is disabled.
  }
  return memoryCache();
}
