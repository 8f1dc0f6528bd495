// What a change costs each stream on a 200-flag ruleset (the bench's flags): the patch events
// against the whole ruleset, plain and encrypted. The README quotes these figures.
import { describe, expect, it } from 'vitest';
import { seedFlags } from '../../bench/serve/seed-flags.ts';
import { decrypt } from '@flagstaff/sdk/core';
import { makeTestApp } from '../helpers/test-app.ts';

describe('patch size on a 200-flag ruleset', () => {
  it('is ~130 B plain and ~200 B encrypted, against ~62 KiB and ~82 KiB whole', async () => {
    const t = await makeTestApp();
    try {
      await seedFlags(t.services, 200);
      const env = await t.request('PATCH', '/api/v1/environments/production', {
        as: t.admin,
        body: { allowClientRuleset: true, encryptRuleset: true, defaultAvailableToClientKeys: true },
      });
      const id = env.json.id as string;
      await t.services.rulesets.get(id);
      const flag = await t.request('PATCH', '/api/v1/flags/flag-000/environments/production', {
        as: t.admin,
        body: { enabled: false },
      });
      expect(flag.status, flag.text).toBe(200);
      const built = await t.services.rulesets.get(id);
      const plain = built.plain.patch!.event.length;
      const encrypted = built.encrypted!.patch!.event.length;
      const sizes = {
        plainPatch: plain,
        plainWhole: built.plain.event.length,
        encryptedPatch: encrypted,
        encryptedWhole: built.encrypted!.event.length,
      };
      console.log('bytes per stream for one flag toggled in 200:', sizes);
      expect(plain).toBeLessThan(200);
      expect(encrypted).toBeLessThan(300);
      expect(sizes.plainWhole).toBeGreaterThan(50_000);
      expect(sizes.encryptedWhole).toBeGreaterThan(50_000);
      const data = JSON.parse(
        new TextDecoder().decode(built.encrypted!.patch!.event).split('\n')[2]!.slice(6),
      );
      expect(
        Object.keys(JSON.parse((await decrypt(data.encryptedFeatures, env.json.encryptionKey))!)),
      ).toEqual(['flag-000']);
    } finally {
      await t.services.lifecycle.stopping();
    }
  }, 60_000);
});
