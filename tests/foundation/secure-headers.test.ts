// Issue 13.5: every answer carries the secure headers (nosniff, frame-ancestors 'none'), management
// answers are never cached (the one that carries a new key's secret above all), the docs page keeps
// no credentials in the browser, and /metrics is not public. Checked in-process and on a real Node
// server, where headers take another path (node-headers.ts) and the ruleset its fast lane.
import { serve, type ServerType } from '@hono/node-server';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/test-app.ts';

const METRICS_TOKEN = 'metrics-scraper-token-0123456789abcdefghij';

let t: TestApp;
let server: ServerType;
let base: string;
let sdkSecret: string;

beforeAll(async () => {
  t = await makeTestApp({ METRICS_TOKEN });
  sdkSecret = (await t.sdkKey('server')).secret;
  await new Promise<void>((resolve) => {
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await t.services.lifecycle.stopping();
  await new Promise((resolve) => server.close(resolve));
});

function expectSecure(headers: Headers, where: string) {
  expect(headers.get('x-content-type-options'), where).toBe('nosniff');
  expect(headers.get('content-security-policy'), where).toMatch(/frame-ancestors 'none'/);
  expect(headers.get('x-frame-options'), where).toBe('DENY');
  expect(headers.get('referrer-policy'), where).toBe('no-referrer');
}

describe('secure headers on every answer', () => {
  it('management answers: nosniff, frame-ancestors, and no-store (the new key secret above all)', async () => {
    const list = await t.request('GET', '/api/v1/environments', { as: t.admin });
    expectSecure(list.headers, 'GET /api/v1/environments');
    expect(list.headers.get('cache-control')).toBe('no-store');
    const created = await t.request('POST', '/api/v1/keys', {
      as: t.admin,
      body: { kind: 'admin', name: 'ci' },
    });
    expect(created.status).toBe(201);
    expectSecure(created.headers, 'POST /api/v1/keys');
    expect(created.headers.get('cache-control')).toBe('no-store');
    const login = await t.request('POST', '/api/v1/auth/login', {
      body: { email: 'nobody@example.com', password: 'not the password' },
    });
    expect(login.headers.get('cache-control')).toBe('no-store');
  });

  it('error answers: unmatched routes, refusals and bad input', async () => {
    const cases = [
      await t.request('GET', '/no/such/route'),
      await t.request('GET', '/api/v1/nothing-here'),
      await t.request('GET', '/api/v1/environments'),
      await t.request('POST', '/api/v1/keys', { as: t.admin, body: { kind: 'nope' } }),
      await t.request('GET', '/sdk/v1/ruleset', { headers: { authorization: 'Bearer fs_server_nope' } }),
    ];
    expect(cases.map((c) => c.status)).toEqual([404, 404, 401, 400, 401]);
    for (const c of cases) expectSecure(c.headers, String(c.status));
    for (const c of cases.slice(1, 4)) expect(c.headers.get('cache-control')).toBe('no-store');
  });

  it('SDK answers keep their CORS and ETag caching, and get the secure headers', async () => {
    const auth = { authorization: `Bearer ${sdkSecret}` };
    const inProcess = await t.request('GET', '/sdk/v1/ruleset', { headers: auth });
    expectSecure(inProcess.headers, 'ruleset in-process');
    expect(inProcess.headers.get('access-control-allow-origin')).toBe('*');
    expect(inProcess.headers.get('cache-control')).toBe('no-cache');
    // Twice on the real server: the first through the router, the second through the fast lane.
    for (const lane of ['router', 'fast lane']) {
      const response = await fetch(`${base}/sdk/v1/ruleset`, { headers: auth });
      await response.text();
      expect(response.status).toBe(200);
      expectSecure(response.headers, `ruleset on ${lane}`);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const etag = response.headers.get('etag')!;
      const again = await fetch(`${base}/sdk/v1/ruleset`, { headers: { ...auth, 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expectSecure(again.headers, `304 on ${lane}`);
    }
    const preflight = await fetch(`${base}/sdk/v1/events`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('an SDK stream opens with the secure headers and still streams', async () => {
    const { headers, firstBlock } = await new Promise<{
      headers: Record<string, unknown>;
      firstBlock: string;
    }>((resolve, reject) => {
      const req = get(`${base}/sdk/v1/stream?key=${sdkSecret}`, (res) => {
        res.setEncoding('utf8');
        res.once('data', (chunk: string) => {
          resolve({ headers: res.headers, firstBlock: chunk });
          req.destroy();
        });
      });
      req.on('error', reject);
    });
    expect(headers['content-type']).toMatch(/^text\/event-stream/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(headers['cache-control']).not.toBe('no-store');
    expect(firstBlock).toMatch(/event: ruleset/);
  });

  it('answers on a real server carry them too (the Node path), API and errors alike', async () => {
    const api = await fetch(`${base}/api/v1/environments`);
    expect(api.status).toBe(401);
    expectSecure(api.headers, 'real 401');
    expect(api.headers.get('cache-control')).toBe('no-store');
    const health = await fetch(`${base}/health`);
    expectSecure(health.headers, 'real /health');
    // A route's own header of the same name wins over the pipeline's.
    const docs = await fetch(`${base}/api/docs`);
    expectSecure(docs.headers, 'real /api/docs');
    expect(docs.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const asset = await fetch(`${base}/api/docs/assets/docs-init.js`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=86400');
  });
});

describe('the API reference page', () => {
  it('forbids framing and keeps no bearer keys in the browser', async () => {
    const page = await t.request('GET', '/api/docs');
    expect(page.status).toBe(200);
    expectSecure(page.headers, '/api/docs');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const init = await t.request('GET', '/api/docs/assets/docs-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toMatch(/persistAuthorization: false/);
    expect(init.headers.get('x-content-type-options')).toBe('nosniff');
    expect(init.headers.get('cache-control')).toBe('public, max-age=86400'); // static assets stay cacheable
    const spec = await t.request('GET', '/api/openapi.json');
    expectSecure(spec.headers, '/api/openapi.json');
  });
});

describe('/metrics', () => {
  it('is refused without credentials, served to an admin key or METRICS_TOKEN', async () => {
    const anonymous = await t.request('GET', '/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).not.toMatch(/flagstaff_http_requests_total/);
    const viewer = await t.request('GET', '/metrics', { as: await t.signIn('viewer') });
    expect(viewer.status).toBe(403);
    const wrongToken = await t.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${METRICS_TOKEN}x` },
    });
    expect(wrongToken.status).toBe(401);
    const withKey = await t.request('GET', '/metrics', { as: t.admin });
    expect(withKey.status).toBe(200);
    expect(withKey.text).toMatch(/flagstaff_http_requests_total/);
    const withToken = await t.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(withToken.status).toBe(200);
    expect(withToken.text).toMatch(/flagstaff_http_requests_total/);
  });

  it('is public only when METRICS_PUBLIC says so', async () => {
    const open = await makeTestApp({ METRICS_PUBLIC: true });
    expect((await open.request('GET', '/metrics')).status).toBe(200);
    const closed = await makeTestApp();
    expect((await closed.request('GET', '/metrics')).status).toBe(401);
  });
});
