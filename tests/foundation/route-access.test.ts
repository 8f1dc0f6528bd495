// Walks the whole route table (the OpenAPI document, where every route publishes its access rule)
// and proves that missing, wrong and under-privileged credentials get 401/403 on every route.
import { beforeAll, describe, expect, it } from 'vitest';
import { roles, type Role } from '../../src/auth/access.ts';
import { makeTestApp, type Caller, type TestApp } from '../helpers/test-app.ts';

/**
 * Routes outside the OpenAPI document: probes and the docs page, public; /metrics, for admin
 * credentials or METRICS_TOKEN (secure-headers.test.ts checks it).
 */
const publicSystemRoutes = [
  'GET /health',
  'GET /ready',
  'GET /metrics',
  'GET /api/openapi.json',
  'GET /api/docs',
  'GET /api/docs/assets/:file',
];

interface Operation {
  method: string;
  path: string;
  access: string;
}

let t: TestApp;
let operations: Operation[];
const callers: Record<string, Caller> = {};

beforeAll(async () => {
  t = await makeTestApp();
  // So that client keys pass the environment's own rule and only authorization is tested here.
  await t.request('PATCH', '/api/v1/environments/production', {
    as: t.admin,
    body: { allowClientRuleset: true },
  });
  const doc = (await t.request('GET', '/api/openapi.json')).json;
  operations = Object.entries(
    doc.paths as Record<string, Record<string, { 'x-flagstaff-access'?: string }>>,
  ).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      access: op['x-flagstaff-access'] ?? 'MISSING',
    })),
  );
  // Signing out ends the caller's session, so it goes last.
  const isLogout = (op: Operation) => op.path === '/api/v1/auth/logout';
  operations = [...operations.filter((op) => !isLogout(op)), ...operations.filter(isLogout)];
  for (const role of roles) {
    callers[`user:${role}`] = await t.signIn(role);
    callers[`user:${role}:no-csrf`] = await t.signIn(role, { csrf: false });
  }
  for (const kind of ['client', 'server', 'admin'] as const)
    callers[`key:${kind}`] = (await t.sdkKey(kind)).caller;
  const revoked = await t.sdkKey('admin');
  await t.request('DELETE', `/api/v1/keys/${revoked.id}`, { as: t.admin });
  callers['key:revoked-admin'] = revoked.caller;
  callers['key:bogus'] = { headers: { authorization: 'Bearer fs_admin_not-a-real-key' } };
  callers['header:malformed'] = { headers: { authorization: 'Basic dXNlcjpwYXNz' } };
  callers['cookie:bogus'] = { headers: { cookie: 'flagstaff_session=forged-token', 'x-csrf-token': 'x' } };
});

const concrete = (path: string) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'id' ? 'key_doesnotexist' : 'does-not-exist'));

async function statusFor(op: Operation, caller?: Caller) {
  return t.request(op.method, concrete(op.path), {
    as: caller,
    body: op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
  });
}

describe('route table', () => {
  it('every route declares its access, and routes outside the OpenAPI document are the known public ones', () => {
    expect(operations.length).toBeGreaterThan(10);
    expect(operations.filter((op) => op.access === 'MISSING')).toEqual([]);
    const documented = new Set(
      operations.map((op) => `${op.method} ${op.path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const undocumented = t.app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method} ${route.path}`)
      .filter((route) => !documented.has(route));
    expect([...new Set(undocumented)].sort()).toEqual([...publicSystemRoutes].sort());
  });

  it('public operations are only the sign-in', () => {
    expect(operations.filter((op) => op.access === 'public').map((op) => `${op.method} ${op.path}`)).toEqual([
      'POST /api/v1/auth/login',
    ]);
  });

  it('missing or wrong credentials get 401 on every protected route', async () => {
    const failures: string[] = [];
    for (const op of operations.filter((o) => o.access !== 'public')) {
      for (const name of [undefined, 'key:bogus', 'key:revoked-admin', 'header:malformed', 'cookie:bogus']) {
        const response = await statusFor(op, name ? callers[name] : undefined);
        if (response.status !== 401 || response.json?.error?.code !== 'unauthorized') {
          failures.push(`${op.method} ${op.path} as ${name ?? 'nobody'}: ${response.status}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('under-privileged credentials get 403, sufficient ones get past authorization', async () => {
    const failures: string[] = [];
    const rank = (role: Role) => roles.indexOf(role);
    for (const op of operations.filter((o) => o.access !== 'public')) {
      const [kind, value] = op.access.split(':') as ['role' | 'sdk', string];
      for (const [name, caller] of Object.entries(callers)) {
        if (
          name.startsWith('cookie:') ||
          name === 'key:bogus' ||
          name === 'key:revoked-admin' ||
          name === 'header:malformed'
        )
          continue;
        let expected: 'allowed' | 403;
        if (kind === 'role') {
          const role = name.startsWith('user:') ? (name.split(':')[1] as Role) : undefined;
          const allowed = name === 'key:admin' || (role !== undefined && rank(role) >= rank(value as Role));
          const mutation = op.method !== 'GET';
          expected = allowed && !(mutation && name.endsWith(':no-csrf')) ? 'allowed' : 403;
        } else {
          expected = value.split(',').some((k) => name === `key:${k}`) ? 'allowed' : 403;
        }
        const { status } = await statusFor(op, caller);
        const ok = expected === 403 ? status === 403 : status !== 401 && status !== 403;
        if (!ok) failures.push(`${op.method} ${op.path} as ${name}: got ${status}, expected ${expected}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('a cookie-authenticated mutation without the CSRF token is refused with csrf_failed', async () => {
    const response = await t.request('POST', '/api/v1/environments', {
      as: callers['user:admin:no-csrf'],
      body: { key: 'staging', name: 'Staging' },
    });
    expect(response.status).toBe(403);
    expect(response.json.error.code).toBe('csrf_failed');
    expect(
      (await t.request('GET', '/api/v1/environments', { as: t.admin })).json.items.map(
        (e: { key: string }) => e.key,
      ),
    ).not.toContain('staging');
  });
});
