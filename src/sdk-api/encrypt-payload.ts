// AES-CBC encryption of ruleset parts for client keys, in the format SDKs decrypt with WebCrypto:
// `<iv base64>.<ciphertext base64>` under a per-environment 128-bit key.
import { createCipheriv, randomBytes } from 'node:crypto';

export const newEncryptionKey = (): string => randomBytes(16).toString('base64');

export function encryptString(plain: string, keyBase64: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', Buffer.from(keyBase64, 'base64'), iv);
  const encrypted = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `${iv.toString('base64')}.${encrypted.toString('base64')}`;
}
