// The SDK's browser build in a real browser (Debian's Chromium through playwright-core), against the
// real service on another origin: what the Node tests can only stub — EventSource streaming, CORS,
// localStorage as the offline cache, and sendBeacon delivering the queued events when the page goes
// away. The page loads the bundle a browser bundler makes of `@flagstaff/sdk` (the `browser`
// export condition), served from a second local server.
import { serve, type ServerType } from '@hono/node-server';
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentCalls, seedExperimentWorld } from '../experiments/experiment-helpers.ts';
import { makeTestApp, type TestApp } from '../helpers/test-app.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
];
const present = existsSync(CHROMIUM);
// `.ci/run` installs Chromium; on a machine without it the skip is said, not silent.
if (!present)
  console.warn(`tests/e2e: no Chromium at ${CHROMIUM} (apt-get install chromium): browser tests skipped`);

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const PAGE = `<!doctype html><meta charset="utf-8"><title>flagstaff e2e</title>
<script type="module">
  import { createClient } from '/sdk.js';
  window.start = (options) => {
    window.client = createClient(options);
    window.changes = 0;
    window.client.subscribe(() => window.changes++);
    return window.client.ready({ timeoutMs: 5000 });
  };
  window.started = true;
</script>`;

let t: TestApp;
let api: ServerType;
let site: Server;
let browser: Browser;
let apiHost: string;
let siteUrl: string;
let sdkKey: string;

beforeAll(async () => {
  if (!present) return;
  t = await makeTestApp({ SSE_HEARTBEAT_SECONDS: 1 });
  await seedExperimentWorld(t);
  await t.request('PATCH', '/api/v1/environments/production', {
    as: t.admin,
    body: { allowClientRuleset: true },
  });
  const experiments = experimentCalls(t);
  expect((await experiments.create()).status).toBe(201);
  expect((await experiments.action('start')).status).toBe(200);
  sdkKey = (await t.sdkKey('client')).secret;
  await new Promise<void>((resolve) => {
    api = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  apiHost = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

  const bundle = await build({
    stdin: { contents: "export { createClient } from '@flagstaff/sdk';", resolveDir: repoRoot },
    conditions: ['flagstaff-source'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
  });
  expect(Object.keys(bundle.metafile.inputs)).toContain('sdk/src/index.browser.ts');
  const sdkJs = bundle.outputFiles[0]!.contents;
  site = createServer((req, res) => {
    const js = req.url === '/sdk.js';
    res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' });
    res.end(js ? sdkJs : PAGE);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
});

afterAll(async () => {
  if (!present) return;
  await browser?.close();
  await t.services.lifecycle.stopping();
  await new Promise((resolve) => api.close(resolve));
  await new Promise((resolve) => site.close(resolve));
});

async function openPage(page: Page, unit: string) {
  await page.goto(siteUrl);
  await page.waitForFunction(() => (window as unknown as { started?: boolean }).started === true);
  return page.evaluate(
    ([apiHost, sdkKey, id]) =>
      (window as unknown as { start: (o: object) => Promise<{ source: string }> }).start({
        apiHost,
        sdkKey,
        attributes: { id },
        flushIntervalMs: 600_000, // nothing leaves by timer: only the page hide can deliver
        logger: { warn: () => {}, error: () => {} },
      }),
    [apiHost, sdkKey, unit] as const,
  );
}

const count = (sql: string, ...params: unknown[]) =>
  (t.db.sqlite.prepare(sql).get(...params) as { n: number }).n;

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  return check();
}

describe.skipIf(!present)('@flagstaff/sdk in Chromium', () => {
  it('evaluates, streams a change, and beacons exposures and outcomes when the page goes away', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    expect(await openPage(page, 'visitor-1')).toEqual({ source: 'network' });

    const details = await page.evaluate(() => {
      const c = (window as unknown as { client: { evaluate: (k: string) => Record<string, unknown> } })
        .client;
      return c.evaluate('checkout');
    });
    expect(['old', 'new']).toContain(details.value);
    expect(details.reason).toBe('SPLIT');

    // A new flag reaches the page over the browser's own EventSource.
    await t.request('POST', '/api/v1/flags', {
      as: t.admin,
      body: { key: 'banner', valueType: 'string', defaultValue: 'spring', availableToClientKeys: true },
    });
    await page.waitForFunction(
      () =>
        (window as unknown as { client: { getValue: (k: string, f: string) => string } }).client.getValue(
          'banner',
          'none',
        ) === 'spring',
      undefined,
      { timeout: 5000 },
    );
    expect(await page.evaluate(() => (window as unknown as { changes: number }).changes)).toBeGreaterThan(0);

    await page.evaluate(() =>
      (window as unknown as { client: { track: (e: string, v: number) => void } }).client.track(
        'purchase',
        42,
      ),
    );
    expect(count(`SELECT count(*) n FROM exposures WHERE unit = 'visitor-1'`)).toBe(0);
    // Leaving the page hides it: the queued exposure and outcome go out with sendBeacon.
    await page.goto('about:blank');
    expect(
      await eventually(() => count(`SELECT count(*) n FROM track_events WHERE unit = 'visitor-1'`) === 1),
    ).toBe(true);
    const exposure = t.db.sqlite
      .prepare(`SELECT experiment, variation FROM exposures WHERE unit = 'visitor-1'`)
      .all() as { experiment: string; variation: string }[];
    expect(exposure).toEqual([
      { experiment: 'checkout-test', variation: details.value === 'old' ? 'control' : 'treatment' },
    ]);
    expect(
      t.db.sqlite.prepare(`SELECT event, value FROM track_events WHERE unit = 'visitor-1'`).get(),
    ).toEqual({ event: 'purchase', value: 42 });

    // Back with the service unreachable: the ruleset comes from localStorage.
    await context.route(`${apiHost}/**`, (route) => route.abort());
    const offline = await context.newPage();
    const status = await openPage(offline, 'visitor-2');
    expect(status.source).toBe('cache');
    expect(
      await offline.evaluate(() =>
        (window as unknown as { client: { getValue: (k: string, f: string) => string } }).client.getValue(
          'banner',
          'none',
        ),
      ),
    ).toBe('spring');
    await context.close();
  });
});
