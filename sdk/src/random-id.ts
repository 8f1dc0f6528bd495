/**
 * A random RFC 4122 version 4 id for events, so the server can drop resent duplicates.
 * `crypto.randomUUID` is missing on plain-http pages (it needs a secure context), hence the
 * `getRandomValues` path.
 *
 * @example
 * randomId(); // '3b241101-e2bb-4255-8caf-4136c566a962'
 */
export function randomId(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  let b = new Uint8Array(16);
  // Node 18 has no global crypto: ids only need to be unique, not secret.
  b = c ? c.getRandomValues(b) : b.map(() => Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  return Array.from(
    b,
    (x, i) => (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + (x | 256).toString(16).slice(1),
  ).join('');
}
