import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type ClientOptions, type FlagstaffClient } from '@flagstaff/sdk';
import { startTestServer, waitFor, type TestServer } from './client-test-server.js';

const silent = { warn: () => {}, error: () => {} };
const root = fileURLToPath(new URL('../..', import.meta.url));

let servers: TestServer[] = [];
let clients: FlagstaffClient[] = [];
const setup = async (
  options: Partial<ClientOptions> = {},
  serverOptions: Parameters<typeof startTestServer>[1] = {},
) => {
  const s = await startTestServer({ features: {} }, serverOptions);
  servers.push(s);
  const c = createClient({
    apiHost: s.url,
    sdkKey: s.sdkKey,
    attributes: { id: 'u1' },
    logger: silent,
    cache: false,
    streaming: false,
    pollIntervalMs: 0,
    retryBaseMs: 20,
    retryMaxMs: 200,
    flushIntervalMs: 10_000,
    ...options,
  });
  clients.push(c);
  await c.ready();
  const posts = () => s.requests.filter((r) => r.path === '/sdk/v1/events');
  return { s, c, posts };
};

// Runs an ES module in a child Node (the SDK from source); SIGKILLed after 8 s if it will not exit.
const runScript = async (script: string) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=flagstaff-source', '--input-type=module', '-e', script],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 8000);
    child.on('exit', (c) => {
      clearTimeout(killer);
      resolve(c);
    });
  });
  return { out, code };
};

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close({ timeoutMs: 100 })));
  await Promise.all(servers.map((s) => s.close().catch(() => {})));
  clients = [];
  servers = [];
});

describe('client: event delivery', () => {
  it('sends track events with a client id, a timestamp and the unit', async () => {
    const { s, c, posts } = await setup();
    const before = Date.now();
    c.track('purchase', 12.5, { currency: 'EUR' });
    c.forUser({ id: 'u2' }).track('signup');
    await c.flush();
    expect(posts()).toHaveLength(1);
    expect(posts()[0].headers.authorization).toBe(`Bearer ${s.sdkKey}`);
    expect(posts()[0].headers['content-type']).toBe('application/json');
    const [a, b] = s.events;
    expect(a).toMatchObject({
      type: 'track',
      unit: 'u1',
      event: 'purchase',
      value: 12.5,
      properties: { currency: 'EUR' },
    });
    expect(b).toMatchObject({ type: 'track', unit: 'u2', event: 'signup' });
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.ts).toBeGreaterThanOrEqual(before);
    expect(c.stats()).toMatchObject({ sent: 2, queued: 0, dropped: 0 });
  });

  it('batches by size and by interval', async () => {
    const { s, c, posts } = await setup({ maxBatchSize: 2, flushIntervalMs: 100 });
    c.track('a');
    c.track('b'); // a full batch leaves at once
    await waitFor(() => s.events.length === 2, 2000, 'size batch');
    expect(posts()).toHaveLength(1);
    c.track('c'); // a lone event leaves with the interval
    await waitFor(() => s.events.length === 3, 2000, 'interval batch');
    expect(posts()).toHaveLength(2);
  });

  it('retries 503 after Retry-After, delivering each event once', async () => {
    const { s, c, posts } = await setup();
    s.eventResponses.push({ status: 503, headers: { 'Retry-After': '1' } });
    c.track('purchase', 1);
    await c.flush();
    expect(posts()).toHaveLength(1);
    expect(s.events).toHaveLength(0);
    await waitFor(() => s.events.length === 1, 5000, 'retried delivery');
    expect(posts()).toHaveLength(2);
    // Honoured Retry-After (1 s), not the 20 ms backoff.
    expect(posts()[1].at - posts()[0].at).toBeGreaterThanOrEqual(950);
    expect(posts()[0].body).toBe(posts()[1].body); // same ids: the server can de-duplicate
    await waitFor(() => c.stats().sent === 1, 2000, 'acknowledged');
    expect(c.stats()).toMatchObject({ sent: 1, retries: 1, queued: 0 });
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const { s, c, posts } = await setup();
    // HTTP dates have 1 s resolution: 2 s ahead is at least 1 s ahead.
    s.eventResponses.push({
      status: 429,
      headers: { 'Retry-After': new Date(Date.now() + 2000).toUTCString() },
    });
    c.track('later');
    await c.flush();
    await waitFor(() => s.events.length === 1, 5000, 'delivery after the date');
    expect(posts()[1].at - posts()[0].at).toBeGreaterThanOrEqual(900);
  });

  it('retries 429 and 5xx with backoff, and network errors too', async () => {
    const { s, c } = await setup();
    s.eventResponses.push({ status: 429 }, { status: 500 }, { status: 502 });
    c.track('x');
    await c.flush();
    await waitFor(() => s.events.length === 1, 3000, 'delivery after 3 failures');
    expect(c.stats().retries).toBe(3);

    const port = s.port;
    await s.close();
    c.track('y');
    await c.flush();
    await waitFor(() => c.stats().retries >= 5, 3000, 'network failures');
    await s.restart();
    expect(s.port).toBe(port);
    await waitFor(() => s.events.length === 2, 3000, 'delivery after restart');
  });

  it('drops a batch refused with 400 without retrying', async () => {
    const { s, c, posts } = await setup();
    s.eventResponses.push({ status: 400, body: '{"error":{"code":"BAD_REQUEST"}}' });
    c.track('bad');
    await c.flush();
    await new Promise((r) => setTimeout(r, 200));
    expect(posts()).toHaveLength(1);
    expect(c.stats()).toMatchObject({ rejected: 1, retries: 0, queued: 0, sent: 0 });
    c.track('good');
    await c.flush();
    expect(s.events.map((e) => e.event)).toEqual(['good']);
  });

  it('counts a 2xx as delivered whatever its body says (empty, null, not JSON), never resending it', async () => {
    // A 200 whose body was JSON null threw while reading `rejected`, and the batch was retried as
    // if the request had failed: resent with backoff for as long as the answer stayed the same.
    const { s, c, posts } = await setup();
    s.eventResponses.push({ status: 200, body: 'null' }, { status: 204 }, { status: 200, body: 'ok' });
    for (const event of ['a', 'b', 'c']) {
      c.track(event);
      await c.flush();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(posts()).toHaveLength(3);
    expect(c.stats()).toMatchObject({ sent: 3, retries: 0, rejected: 0, queued: 0 });
  });

  it('takes a batch size below 1 (0, say, for "no batching") as 1, not as batches of nothing', async () => {
    // Batches of zero events never emptied the queue: one empty POST after another, for ever.
    const { s, c, posts } = await setup({ maxBatchSize: 0 });
    for (const event of ['a', 'b', 'c']) c.track(event);
    await Promise.race([c.flush(), new Promise((r) => setTimeout(r, 300))]);
    expect(s.events.map((e) => e.event)).toEqual(['a', 'b', 'c']);
    expect(posts().length).toBeLessThanOrEqual(3);
  });

  it('bounds the queue, dropping the oldest events and counting them', async () => {
    const { s, c } = await setup({ maxQueueSize: 3 });
    for (const name of ['e1', 'e2', 'e3', 'e4', 'e5']) c.track(name);
    expect(c.stats()).toMatchObject({ queued: 3, dropped: 2 });
    await c.flush();
    expect(s.events.map((e) => e.event)).toEqual(['e3', 'e4', 'e5']);
  });

  it('keeps the bound while a failing batch waits for its retry', async () => {
    const { s, c } = await setup({ maxQueueSize: 3, retryBaseMs: 5000 });
    s.eventResponses.push({ status: 503 });
    c.track('e1');
    c.track('e2');
    await c.flush(); // fails: e1, e2 go back to the queue
    c.track('e3');
    c.track('e4');
    expect(c.stats()).toMatchObject({ queued: 3, dropped: 1 });
  });

  it('settles flush() when an events POST never answers, and retries the batch', async () => {
    // A POST that hung held the queue (and flush()) until the connection died, if ever.
    let posts = 0;
    const { s, c } = await setup(
      // Long enough that the answered retry never times out on a busy CI machine too.
      { retryMaxMs: 50, requestTimeoutMs: 400 },
      { hang: (r) => r.path === '/sdk/v1/events' && ++posts === 1 },
    );
    c.track('stuck');
    const settled = await Promise.race([
      c.flush().then(() => 'settled'),
      new Promise((r) => setTimeout(r, 3000, 'still waiting')),
    ]);
    expect(settled).toBe('settled');
    // The server stores the batch before the client reads the answer: wait for both.
    await waitFor(() => s.events.length === 1 && c.stats().sent === 1, 5000, 'the batch retried');
    expect(c.stats()).toMatchObject({ sent: 1, queued: 0 });
    expect(c.stats().retries).toBeGreaterThanOrEqual(1);
  });

  it('sends many requests within the request timeout without piling listeners on one signal', async () => {
    // Each request's timeout was linked to close()'s abort by a listener on one shared signal,
    // removed only when the timeout fired: past 10 requests in 10 s Node warned of a leak.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const { s, c } = await setup({ maxBatchSize: 1 });
      for (let i = 0; i < 30; i++) {
        c.track(`e${i}`);
        await c.flush();
      }
      await waitFor(() => s.events.length === 30, 3000, 'all events');
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('flushes on close and stops sending afterwards', async () => {
    const { s, c } = await setup();
    c.track('last');
    await c.close();
    expect(s.events.map((e) => e.event)).toEqual(['last']);
    c.track('after');
    expect(c.stats()).toMatchObject({ queued: 0, sent: 1, dropped: 1 });
  });

  it('lets a second close() wait for the first one, without cutting its flush short', async () => {
    // Two owners closing one client (a SIGTERM handler and OpenFeature.close(), say): the second
    // call returned at once and aborted the requests in flight, the first call's flush included.
    let posts = 0;
    const { c } = await setup({
      fetch: async (url, init) => {
        if (!String(url).endsWith('/events')) return fetch(url, init);
        posts++;
        await new Promise((resolve) => setTimeout(resolve, 150));
        if (init?.signal?.aborted) throw new Error('aborted');
        return new Response('{"rejected":[]}', { status: 202 });
      },
    });
    c.track('last');
    const first = c.close({ timeoutMs: 1000 });
    const second = c.close({ timeoutMs: 1000 });
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await second;
    expect(firstDone).toBe(true);
    await first;
    expect(posts).toBe(1);
    expect(c.stats()).toMatchObject({ sent: 1, dropped: 0, queued: 0 });
  });

  it('refuses an event that cannot be serialized without blocking the others', async () => {
    const { s, c } = await setup();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    c.track('bad', 1, cyclic);
    c.track('good', 2);
    await c.flush();
    expect(s.events.map((e) => e.event)).toEqual(['good']);
    expect(c.stats()).toMatchObject({ rejected: 1, sent: 1, retries: 0 });
  });

  it('keeps retrying during close() while time remains, then gives up and counts the rest', async () => {
    const { s, c } = await setup();
    s.eventResponses.push({ status: 503 }, { status: 502 });
    c.track('at-exit');
    await c.close({ timeoutMs: 2000 });
    expect(s.events.map((e) => e.event)).toEqual(['at-exit']);

    const { s: s2, c: c2 } = await setup();
    s2.eventResponses.push(
      ...Array.from({ length: 100 }, () => ({ status: 503, headers: { 'Retry-After': '5' } })),
    );
    c2.track('lost');
    const started = Date.now();
    await c2.close({ timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(c2.stats()).toMatchObject({ queued: 0, dropped: 1, sent: 0 });
  });

  it('counts a batch that fails after close() gave up on it as dropped, and never sends it again', async () => {
    let posts = 0;
    const { c } = await setup({
      // The events request fails only after close() has stopped waiting for it.
      fetch: (input, init) => {
        if (!String(input).endsWith('/events')) return fetch(input, init);
        posts++;
        return new Promise((_, reject) => setTimeout(() => reject(new Error('connection reset')), 150));
      },
    });
    c.track('in-flight');
    void c.flush();
    await c.close({ timeoutMs: 30 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    await c.flush();
    expect(c.stats()).toMatchObject({ queued: 0, dropped: 1, sent: 0 });
    expect(posts).toBe(1);
  });

  it('never throws into the host app', async () => {
    const { c } = await setup();
    const bad = {
      toString: () => {
        throw new Error('boom');
      },
    };
    expect(() => c.track(bad as unknown as string)).not.toThrow();
    expect(() => c.forUser({ id: 'x' }).getValue('missing', 1)).not.toThrow();
    expect(() =>
      c.subscribe(() => {
        throw new Error('listener');
      }),
    ).not.toThrow();
  });

  it('survives a logger that throws, without unhandled rejections', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const boom = () => {
        throw new Error('logger down');
      };
      const { s, c } = await setup({ logger: { warn: boom, error: boom }, attributes: {} });
      expect(() => c.track('no-unit')).not.toThrow();
      expect(() =>
        createClient({
          apiHost: s.url,
          sdkKey: s.sdkKey,
          logger: { warn: boom, error: boom },
          bootstrap: 'not json' as never,
        }),
      ).not.toThrow();
      s.eventResponses.push({ status: 503 }, { status: 503 });
      c.forUser({ id: 'u2' }).track('retried');
      await c.flush();
      await waitFor(() => s.events.length === 1, 3000, 'delivery after the retries');
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('lets a Node process exit on its own after close()', async () => {
    const s = await startTestServer({ features: { f: { defaultValue: true } } });
    servers.push(s);
    const script = `
      import { createClient } from '@flagstaff/sdk';
      const client = createClient({ apiHost: ${JSON.stringify(s.url)}, sdkKey: ${JSON.stringify(s.sdkKey)},
        attributes: { id: 'child' }, logger: { warn() {}, error() {} }, pollIntervalMs: 1000 });
      await client.ready({ timeoutMs: 3000 });
      await new Promise((r) => setTimeout(r, 200)); // let the stream connect
      client.track('child-event');
      await client.close();
      console.log('closed');
    `;
    const started = Date.now();
    const { out, code } = await runScript(script);
    expect(out).toContain('closed');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(s.events.map((e) => e.event)).toEqual(['child-event']);
    expect(s.requests.some((r) => r.path === '/sdk/v1/stream')).toBe(true);
  });

  it('finishes close() in a script while the server is down, instead of the process ending mid-close', async () => {
    // Retries wait on unref'ed timers, so with the server down nothing held the event loop during
    // close(): Node ended the script before close() settled (exit code 13 for a top-level await;
    // what followed close() never ran).
    const dead = await startTestServer({});
    await dead.close();
    const script = `
      import { createClient } from '@flagstaff/sdk';
      const client = createClient({ apiHost: ${JSON.stringify(dead.url)}, sdkKey: 'k', attributes: { id: 'child' },
        bootstrap: { features: {} }, streaming: false, cache: false, retryBaseMs: 20, logger: { warn() {}, error() {} } });
      client.track('unsent');
      await client.close({ timeoutMs: 300 });
      console.log('closed', JSON.stringify(client.stats()));
    `;
    const { out, code } = await runScript(script);
    expect(out).toMatch(/closed .*"dropped":1/);
    expect(code).toBe(0);
  });

  it('lets a Node process exit after close() even while its requests hang, settling ready() and flush()', async () => {
    // A server that accepts every request and never answers: the ruleset GET (close() during
    // ready()) and an events POST are in flight when close() gives up on them. Open sockets keep a
    // Node process alive until their requests end, so close() must abort them.
    const held = new Set<import('node:http').ServerResponse>();
    const hang = createServer((req, res) => {
      req.resume();
      held.add(res);
    });
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
    const script = `
      import { createClient } from '@flagstaff/sdk';
      const client = createClient({ apiHost: ${JSON.stringify(url)}, sdkKey: 'k', attributes: { id: 'child' },
        bootstrap: { features: {} }, streaming: false, cache: false, logger: { warn() {}, error() {} } });
      const ready = client.ready({ timeoutMs: 60000 }).then((r) => console.log('ready', r.error));
      client.track('stuck');
      const flushed = client.flush().then(() => console.log('flushed'));
      await new Promise((r) => setTimeout(r, 300)); // both requests reach the server
      await client.close({ timeoutMs: 100 });
      console.log('closed');
      await Promise.all([ready, flushed]);
      console.log(JSON.stringify(client.stats()));
    `;
    try {
      const { out, code } = await runScript(script);
      expect(out).toContain('closed');
      expect(out).toMatch(/"dropped":1/);
      expect(out).toContain('ready');
      expect(out).toContain('flushed');
      expect(code).toBe(0); // not killed after 8 s
      expect(held.size).toBe(2);
    } finally {
      for (const res of held) res.destroy();
      hang.closeAllConnections();
      await new Promise((resolve) => hang.close(resolve));
    }
  });
});
