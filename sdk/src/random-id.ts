/**
 * A random RFC 4122 version 4 id for events, so the server can drop resent duplicates. Built from
 * `getRandomValues`, not `crypto.randomUUID`, which plain-http pages lack (it needs a secure
 * context); Node 18 has no global crypto at all (ids need to be unique, not secret).
 *
 * @example
 * randomId(); // '3b241101-e2bb-4255-8caf-4136c566a962'
 */
export function randomId(): string {
  let i = 0;
  const bytes = new Uint8Array(31).map(() => Math.random() * 256);
  globalThis.crypto?.getRandomValues(bytes);
  // Each 0/1 becomes a random hex digit, each 8 a variant digit (8-b); the 4 is the version.
  return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (d) =>
    (+d ^ (bytes[i++] & (15 >> (+d >> 2)))).toString(16),
  );
}
