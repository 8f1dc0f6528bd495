// First start on an empty database: the default environments, the first admin, and the operator's
// admin API key. Everything seeded is recorded in the audit log as done by `system`.
import { systemActor } from './audit/actor.ts';
import type { Services } from './services.ts';

export interface SeedResult {
  admin?: { email: string; generatedPassword?: string };
  adminKeySeeded: boolean;
}

export async function seedFirstStart(services: Services): Promise<SeedResult> {
  const { config } = services;
  await services.environments.seed(systemActor);
  const admin = await services.users.seedAdmin(
    config.FLAGSTAFF_ADMIN_EMAIL,
    config.FLAGSTAFF_ADMIN_PASSWORD,
    systemActor,
  );
  const adminKeySeeded = config.FLAGSTAFF_ADMIN_KEY
    ? await services.keys.seedAdminKey(config.FLAGSTAFF_ADMIN_KEY, systemActor)
    : false;
  return { admin, adminKeySeeded };
}

/** The sign-in banner printed once, when the first admin is created. */
export function signInBanner(baseUrl: string, admin: NonNullable<SeedResult['admin']>): string {
  const password = admin.generatedPassword
    ? `password: ${admin.generatedPassword}   (generated; shown only this once — change it after signing in)`
    : 'password: the value of FLAGSTAFF_ADMIN_PASSWORD';
  return [
    '',
    '  Flagstaff created its first admin.',
    '  Sign in with',
    `    email:    ${admin.email}`,
    `    ${password}`,
    `  or through the API: curl -c cookies.txt -X POST ${baseUrl}/api/v1/auth/login \\`,
    `    -H 'Content-Type: application/json' -d '{"email":"${admin.email}","password":"…"}'`,
    `  API reference: ${baseUrl}/api/docs`,
    '',
  ].join('\n');
}
