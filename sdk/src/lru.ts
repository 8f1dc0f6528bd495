/**
 * A bounded set that remembers the most recently seen keys. Used to log one exposure per
 * (unit, experiment, variation) without letting a long-lived server process grow without bound.
 *
 * @example
 * const seen = createLru(10_000);
 * if (seen.add('u1|exp|b')) queue.push(exposure); // true only the first time (while remembered)
 */
export interface Lru {
  /** Records `key`; returns `true` when it was not already remembered. */
  add(key: string): boolean;
  readonly size: number;
}

/**
 * Creates a bounded LRU set holding at most `max` keys (oldest evicted first).
 *
 * @example
 * const seen = createLru(2);
 * seen.add('a'); seen.add('b'); seen.add('c'); // 'a' is forgotten
 */
export function createLru(max: number): Lru {
  // A Map iterates in insertion order, so deleting and re-inserting moves a key to the young end.
  const map = new Map<string, true>();
  return {
    add(key) {
      const known = map.delete(key);
      map.set(key, true);
      if (map.size > max) map.delete(map.keys().next().value as string);
      return !known;
    },
    get size() {
      return map.size;
    },
  };
}
