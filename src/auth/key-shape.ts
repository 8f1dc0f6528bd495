// What an API key looks like, checked before any lookup. Generated keys are `fs_<kind>_` and 43
// base64url characters; the admin key seeded from FLAGSTAFF_ADMIN_KEY is chosen by the operator,
// and env.ts takes it only in this shape, which every generated key has too. A token of any other
// shape cannot be a key: it is refused without hashing it, caching it or asking the database.

/** 32 to 200 URL-safe characters: every key there is, generated or chosen (FLAGSTAFF_ADMIN_KEY). */
export const KEY_SHAPE = /^[A-Za-z0-9_\-.~]{32,200}$/;

export const KEY_SHAPE_MESSAGE = 'must be 32 to 200 URL-safe characters (high entropy)';

/**
 * Whether a presented token could be a key (its length is tested first: a 16 KB token costs nothing).
 * @example isKeyShaped('fs_client_' + 'x'.repeat(43)) // true
 */
export const isKeyShaped = (token: string): boolean =>
  token.length >= 32 && token.length <= 200 && KEY_SHAPE.test(token);
