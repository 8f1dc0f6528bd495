// Each start: the default environments and the first admin on an empty database, and the admin API
// key that follows FLAGSTAFF_ADMIN_KEY. Everything seeded is recorded in the audit log as done by
// `system`. What the operator must know is written where only they can read it (the generated
// password, in an owner-only file) or logged (key changes); never a secret on stdout, which ends up
// in log storage.
import { mkdir, open, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { PublicApiKey } from './auth/api-key-service.ts';
import { systemActor } from './audit/actor.ts';
import { sqlitePath } from './db/open-db.ts';
import type { Env } from './env.ts';
import type { Logger } from './logger.ts';
import type { Services } from './services.ts';

export interface SeedResult {
  admin?: { email: string; generatedPassword?: string };
  adminKeySeeded: boolean;
  /** FLAGSTAFF_ADMIN_KEY names a key that was revoked: it stays revoked. */
  adminKeyRevoked: boolean;
  /** Keys seeded from an earlier FLAGSTAFF_ADMIN_KEY, revoked now that it no longer names them. */
  revokedAdminKeys: PublicApiKey[];
}

export async function seedFirstStart(services: Services): Promise<SeedResult> {
  const { config } = services;
  await services.environments.seed(systemActor);
  const admin = await services.users.seedAdmin(
    config.FLAGSTAFF_ADMIN_EMAIL,
    config.FLAGSTAFF_ADMIN_PASSWORD,
    systemActor,
  );
  const key = await services.keys.syncSeededAdminKey(config.FLAGSTAFF_ADMIN_KEY, systemActor);
  return {
    admin,
    adminKeySeeded: key.created,
    adminKeyRevoked: key.namesRevoked,
    revokedAdminKeys: key.revoked,
  };
}

/** FLAGSTAFF_GENERATED_PASSWORD_FILE, or `admin-password.txt` beside the SQLite database. */
export function generatedPasswordFile(config: Env): string {
  if (config.FLAGSTAFF_GENERATED_PASSWORD_FILE) return resolve(config.FLAGSTAFF_GENERATED_PASSWORD_FILE);
  const location = sqlitePath(config.DATABASE_URL);
  const isFile = config.DATABASE_URL.startsWith('file:') && location !== ':memory:';
  return join(isFile ? dirname(resolve(location)) : resolve('data'), 'admin-password.txt');
}

/** Writes a secret to a new file only its owner can read (0600), replacing any earlier one. */
export async function writeOwnerOnlyFile(file: string, secret: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await rm(file, { force: true }); // a new file: an old one's mode (or a link put there) is not reused
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile(`${secret}\n`);
  } finally {
    await handle.close();
  }
}

/**
 * Tells the operator what this start seeded: the generated password goes to its owner-only file,
 * changes to the admin key to the log. Returns the password file, when one was written.
 */
export async function reportSeeding(
  seeded: SeedResult,
  config: Env,
  logger: Logger,
): Promise<string | undefined> {
  let passwordFile: string | undefined;
  if (seeded.admin?.generatedPassword) {
    passwordFile = generatedPasswordFile(config);
    await writeOwnerOnlyFile(passwordFile, seeded.admin.generatedPassword);
  }
  if (seeded.adminKeySeeded) logger.info('seeded the admin API key from FLAGSTAFF_ADMIN_KEY');
  for (const key of seeded.revokedAdminKeys) {
    logger.warn(
      { key: key.id },
      'revoked the admin API key seeded from an earlier FLAGSTAFF_ADMIN_KEY: the variable no longer names it',
    );
  }
  if (seeded.adminKeyRevoked) {
    logger.warn(
      'FLAGSTAFF_ADMIN_KEY names an admin key that was revoked: it stays revoked; set a new value or unset it',
    );
  }
  return passwordFile;
}

/** The sign-in banner printed once, when the first admin is created. It never holds the password. */
export function signInBanner(
  baseUrl: string,
  admin: NonNullable<SeedResult['admin']>,
  passwordFile?: string,
): string {
  const password = passwordFile
    ? `password: generated, in ${passwordFile} (readable by this user only): sign in, change it, delete the file`
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
