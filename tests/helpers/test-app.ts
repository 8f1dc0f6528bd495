// A fresh app on a fresh in-memory database, with helpers to call it as an admin key, as a signed-in
// user of any role, or as an SDK key.
import type { Role } from '../../src/auth/access.ts';
import { systemActor } from '../../src/audit/actor.ts';
import { createApp } from '../../src/app.ts';
import { openDb } from '../../src/db/open-db.ts';
import type { Env } from '../../src/env.ts';
import { seedFirstStart } from '../../src/seed.ts';
import { createServices } from '../../src/services.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const PASSWORD = 'correct horse battery staple';

export interface Caller {
  headers: Record<string, string>;
}

export async function makeTestApp(config: Partial<Env> = {}) {
  const db = openDb(':memory:');
  // Tests refresh results right after sending events: no minimum age unless a test sets one.
  const fullConfig = {
    FLAGSTAFF_ADMIN_KEY: ADMIN_KEY,
    FLAGSTAFF_ADMIN_PASSWORD: PASSWORD,
    ANALYSIS_REFRESH_MIN_AGE_SECONDS: 0,
    ...config,
  };
  const services = createServices({ db, config: fullConfig });
  await seedFirstStart(services);
  const app = createApp({ db, services });

  const admin: Caller = { headers: { authorization: `Bearer ${ADMIN_KEY}` } };

  async function request(
    method: string,
    path: string,
    options: { as?: Caller; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...(options.as?.headers ?? {}), ...(options.headers ?? {}) };
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const response = await app.request(path, { method, headers, body });
    // An SSE stream never ends by itself: report its status and let it go.
    const streaming = response.headers.get('content-type')?.startsWith('text/event-stream');
    if (streaming) await response.body?.cancel();
    const text = streaming ? '' : await response.text();
    // Tests read arbitrary JSON answers; their assertions are the type check.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  /** Signs in a (new) user with this role and returns cookie + CSRF headers. */
  async function signIn(role: Role, options: { csrf?: boolean } = {}): Promise<Caller> {
    const email = `${role}-${Math.random().toString(36).slice(2)}@example.com`;
    await services.users.create({ email, password: PASSWORD, role }, systemActor);
    const response = await request('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
    if (response.status !== 200) throw new Error(`login failed: ${response.text}`);
    const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
    const headers: Record<string, string> = { cookie };
    if (options.csrf !== false) headers['x-csrf-token'] = response.json.csrfToken;
    return { headers };
  }

  async function sdkKey(
    kind: 'client' | 'server' | 'admin',
    environment = 'production',
  ): Promise<{ caller: Caller; id: string; secret: string }> {
    const { apiKey, secret } = await services.keys.create(
      kind === 'admin' ? { kind, name: `test ${kind}` } : { kind, environment, name: `test ${kind}` },
      systemActor,
    );
    return { caller: { headers: { authorization: `Bearer ${secret}` } }, id: apiKey.id, secret };
  }

  return { app, db, services, admin, request, signIn, sdkKey };
}

export type TestApp = Awaited<ReturnType<typeof makeTestApp>>;
