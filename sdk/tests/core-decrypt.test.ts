// Encrypted payloads: what the server encrypts with AES-128-CBC, the SDK decrypts with WebCrypto
// alone, in every runtime; failures come back as null so the client keeps its last good ruleset.
import { describe, expect, it } from 'vitest';
import { compile, decryptPayload, evaluate } from '@flagstaff/sdk/core';
import type { FeaturePayload } from '@flagstaff/sdk/core';

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));

async function encrypt(plain: string, keyBytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'AES-CBC' }, false, ['encrypt']);
  const cipher = await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, key, new TextEncoder().encode(plain));
  return `${toBase64(iv)}.${toBase64(new Uint8Array(cipher))}`;
}

describe('decryptPayload', () => {
  it('round-trips features and saved groups, then compiles and evaluates', async () => {
    const keyBytes = crypto.getRandomValues(new Uint8Array(16));
    const features = {
      beta: { defaultValue: false, rules: [{ condition: { id: { $inGroup: 'testers' } }, force: true }] },
    };
    const encrypted: FeaturePayload = {
      encryptedFeatures: await encrypt(JSON.stringify(features), keyBytes),
      encryptedSavedGroups: await encrypt(JSON.stringify({ testers: ['u1'] }), keyBytes),
      dateUpdated: '2026-01-01T00:00:00Z',
    };
    const plain = await decryptPayload(encrypted, toBase64(keyBytes));
    expect(plain).toEqual({
      features,
      savedGroups: { testers: ['u1'] },
      dateUpdated: '2026-01-01T00:00:00Z',
    });
    const ruleset = compile(plain as FeaturePayload);
    expect(evaluate(ruleset, 'beta', { attributes: { id: 'u1' } }).value).toBe(true);
    expect(evaluate(ruleset, 'beta', { attributes: { id: 'u2' } }).value).toBe(false);
  });

  it('resolves to null on a wrong key or broken JSON, and passes plain payloads through', async () => {
    const keyBytes = crypto.getRandomValues(new Uint8Array(16));
    const other = crypto.getRandomValues(new Uint8Array(16));
    const encryptedFeatures = await encrypt('{"a":{"defaultValue":1}}', keyBytes);
    expect(await decryptPayload({ encryptedFeatures }, toBase64(other))).toBeNull();
    const broken = await encrypt('{"a":', keyBytes);
    expect(await decryptPayload({ encryptedFeatures: broken }, toBase64(keyBytes))).toBeNull();
    const plain = { features: { a: { defaultValue: 1 } } };
    expect(await decryptPayload(plain, 'irrelevant')).toEqual(plain);
  });

  it('accepts an explicit SubtleCrypto (runtimes without a global one, e.g. Node 18)', async () => {
    const keyBytes = crypto.getRandomValues(new Uint8Array(16));
    const encryptedFeatures = await encrypt('{"a":{"defaultValue":1}}', keyBytes);
    const { webcrypto } = await import('node:crypto');
    const plain = await decryptPayload(
      { encryptedFeatures },
      toBase64(keyBytes),
      webcrypto.subtle as SubtleCrypto,
    );
    expect(plain?.features).toEqual({ a: { defaultValue: 1 } });
  });

  it('compile reports a payload that is still encrypted', () => {
    const issues = compile({ encryptedFeatures: 'abc.def' }).issues;
    expect(issues[0]?.message).toMatch(/decryptPayload/);
  });
});
