// AES-128-CBC decryption of encrypted payload parts (`"<iv base64>.<ciphertext base64>"`, key in
// base64), with WebCrypto only, so the same code runs in Node ≥18, browsers, Deno, Bun and
// workers. Failures resolve to `null` (never reject): the caller keeps its last good ruleset.
import type { FeaturePayload } from './types.js';

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Decrypts one encrypted string; `null` when the key, IV or ciphertext is invalid. `subtle` is
 * only needed where WebCrypto is not global (Node 18: `(await import('node:crypto')).webcrypto.subtle`).
 *
 * @example
 * const json = await decrypt(payload.encryptedFeatures, 'Zvwv/+uhpFDznZ6SX28Yjg==');
 */
export async function decrypt(
  encrypted: string,
  decryptionKey: string,
  subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle,
): Promise<string | null> {
  try {
    if (!subtle) return null;
    const dot = encrypted.indexOf('.');
    if (dot < 0) return null;
    const iv = fromBase64(encrypted.slice(0, dot));
    const cipher = fromBase64(encrypted.slice(dot + 1));
    const key = await subtle.importKey('raw', fromBase64(decryptionKey), { name: 'AES-CBC' }, false, [
      'decrypt',
    ]);
    const plain = await subtle.decrypt({ name: 'AES-CBC', iv }, key, cipher);
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}

/**
 * Returns the payload with `encryptedFeatures` / `encryptedSavedGroups` decrypted into `features` /
 * `savedGroups`; `null` if anything fails to decrypt or parse. Unencrypted payloads pass through.
 * `subtle` as for `decrypt`.
 *
 * @example
 * const plain = await decryptPayload(await res.json(), process.env.FLAGSTAFF_DECRYPTION_KEY!);
 * if (plain) ruleset = compile(plain);
 */
export async function decryptPayload(
  payload: FeaturePayload,
  decryptionKey: string,
  subtle?: SubtleCrypto,
): Promise<FeaturePayload | null> {
  try {
    const out: FeaturePayload = { ...payload };
    if (typeof payload.encryptedFeatures === 'string') {
      const text = await decrypt(payload.encryptedFeatures, decryptionKey, subtle);
      if (text === null) return null;
      out.features = JSON.parse(text) as FeaturePayload['features'];
      delete out.encryptedFeatures;
    }
    if (typeof payload.encryptedSavedGroups === 'string') {
      const text = await decrypt(payload.encryptedSavedGroups, decryptionKey, subtle);
      if (text === null) return null;
      out.savedGroups = JSON.parse(text) as FeaturePayload['savedGroups'];
      delete out.encryptedSavedGroups;
    }
    return out;
  } catch {
    return null;
  }
}
