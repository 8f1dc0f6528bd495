// Secrets: random ids and keys, SHA-256 for high-entropy API keys and session tokens (a fast hash
// is right for them: they cannot be guessed), scrypt for human passwords (which can).
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** A random, URL-safe token carrying `bytes` bytes of entropy. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** A short unique id with a type prefix, e.g. `env_3kT9x1QaZp0c`. */
export const newId = (prefix: string): string => `${prefix}_${randomBytes(9).toString('base64url')}`;

/**
 * scrypt at N = 2^17, r = 8, p = 1 (OWASP's 2024 minimum): 128 MiB and about 250 ms per hash on a
 * 2-core machine. Hashes stored with other parameters are still verified, and rehashed with these
 * at their owner's next sign-in (`needsRehash`).
 */
export const passwordHashParams = { N: 2 ** 17, r: 8, p: 1, keylen: 32 } as const;

// Parameters read back from the database are bounded, so a damaged row cannot ask for gigabytes.
const storedLimits = { N: 2 ** 20, r: 32, p: 16 };

function scryptAsync(
  password: string,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
): Promise<Buffer> {
  // Node refuses more than 32 MiB unless told; scrypt needs 128·N·r bytes (plus a little).
  const maxmem = 128 * options.N! * options.r! * 2 + 32 * 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, { ...options, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash`: parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keylen } = passwordHashParams;
  const key = await scryptAsync(password, salt, keylen, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

function parseHash(stored: string) {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const valid =
    scheme === 'scrypt' &&
    salt &&
    hash &&
    Number.isInteger(Math.log2(params.N)) &&
    params.N > 1 &&
    params.N <= storedLimits.N &&
    Number.isInteger(params.r) &&
    params.r >= 1 &&
    params.r <= storedLimits.r &&
    Number.isInteger(params.p) &&
    params.p >= 1 &&
    params.p <= storedLimits.p;
  return valid
    ? { ...params, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') }
    : undefined;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const { N, r, p, salt, hash } = parsed;
  const actual = await scryptAsync(password, salt, hash.length, { N, r, p });
  return timingSafeEqual(actual, hash);
}

/** Whether a stored hash was made with other parameters than today's (so is rehashed at sign-in). */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  const { N, r, p, keylen } = passwordHashParams;
  return !parsed || parsed.N !== N || parsed.r !== r || parsed.p !== p || parsed.hash.length !== keylen;
}

/**
 * Verified against when the email is unknown, so that a miss costs what a wrong password costs and
 * response times do not tell which emails have accounts.
 */
export const decoyPasswordHash = [
  'scrypt',
  passwordHashParams.N,
  passwordHashParams.r,
  passwordHashParams.p,
  Buffer.alloc(16).toString('base64url'),
  Buffer.alloc(passwordHashParams.keylen).toString('base64url'),
].join('$');
