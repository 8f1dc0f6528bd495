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
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
