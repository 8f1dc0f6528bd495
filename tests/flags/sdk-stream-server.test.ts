// The SDK routes on a real Node server: the SSE stream, whose events are written straight to the
// socket rather than through Hono's web stream, and the ruleset's fast lane, which only exists
// there (sdk-serving.test.ts covers both routes in-process).
import { serve, type ServerType } from '@hono/node-server';
import { get, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '@flagstaff/sdk';
import { ADMIN_KEY, makeTestApp, type TestApp } from '../helpers/test-app.ts';

const silent = { warn: () => {}, error: () => {} };

let t: TestApp;
let server: ServerType;
let base: string;
let secret: string;

beforeEach(async () => {
  // A value over the default MAX_JSON_VALUE_BYTES: one flag then fills a slow stream's buffer.
  t = await makeTestApp({
    SSE_HEARTBEAT_SECONDS: 0.1,
    SSE_MAX_BUFFERED_BYTES: 65_536,
    MAX_JSON_VALUE_BYTES: 512 * 1024,
  });
  secret = (await t.sdkKey('server')).secret;
  await t.request('POST', '/api/v1/flags', {
    as: t.admin,
    body: { key: 'checkout', valueType: 'string', defaultValue: 'old', availableToClientKeys: true },
  });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await t.services.lifecycle.stopping();
  await new Promise((resolve) => server.close(resolve));
});

const toggle = (enabled: boolean) =>
  t.request('PATCH', '/api/v1/flags/checkout/environments/production', { as: t.admin, body: { enabled } });

/** Opens a stream and collects its raw blocks (`...\n\n`), events and heartbeats alike. */
function open(headers: Record<string, string> = {}, path = `/sdk/v1/stream?key=${secret}`) {
  const blocks: string[] = [];
  const seen: string[] = []; // every block ever received, for assertions on what did not come
  let buffer = '';
  let waiter: (() => void) | undefined;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    const req = get(`${base}${path}`, { headers }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          blocks.push(buffer.slice(0, end));
          seen.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
        waiter?.();
      });
      resolve(res);
    });
    req.on('error', reject);
  });
  /** Waits for a block that passes `test`, taking it and everything before it. */
  async function next(test: (block: string) => boolean, timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = blocks.findIndex(test);
      if (i >= 0) return blocks.splice(0, i + 1)[i]!;
      if (Date.now() > deadline) throw new Error('no such block in time');
      await new Promise<void>((resolve) => {
        waiter = resolve;
        setTimeout(resolve, 20);
      });
    }
  }
  const event = (timeoutMs?: number) => next((block) => block.startsWith('id: '), timeoutMs);
  return { response, seen, next, event };
}

const idOf = (block: string) => Number(/^id: (\d+)$/m.exec(block)![1]);

describe('GET /sdk/v1/stream on a real server', () => {
  it('sends the ruleset, changes and heartbeats; Last-Event-ID skips to `current`; a closed client leaves the hub', async () => {
    const stream = open({ origin: 'https://app.example' });
    const res = await stream.response;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['x-request-id']).toBeTruthy();

    const first = await stream.event();
    const lines = first.split('\n');
    expect(lines[0]).toMatch(/^id: \d+$/);
    expect(lines[1]).toBe('event: ruleset');
    expect(JSON.parse(lines[2]!.slice('data: '.length)).features.checkout).toBeDefined();
    expect(lines).toHaveLength(3);

    await toggle(false);
    const second = await stream.event();
    expect(idOf(second)).toBeGreaterThan(idOf(first));
    expect(await stream.next((block) => block === ': ping')).toBe(': ping');

    // Resuming at the current revision: `current` (so the SDK knows the stream is back), heartbeats,
    // and no ruleset until the next change.
    const resumed = open(
      { authorization: `Bearer ${secret}`, 'last-event-id': String(idOf(second)) },
      '/sdk/v1/stream',
    );
    expect((await resumed.response).statusCode).toBe(200);
    await resumed.next((block) => block === ': ping');
    expect(resumed.seen.filter((block) => block.startsWith('id: '))).toEqual([
      `id: ${idOf(second)}\nevent: current\ndata: {"revision":${idOf(second)}}`,
    ]);
    await toggle(true);
    expect(idOf(await resumed.event())).toBeGreaterThan(idOf(second));

    expect(t.services.streams.size).toBe(2);
    res.destroy();
    const deadline = Date.now() + 2000;
    while (t.services.streams.size !== 1 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(t.services.streams.size).toBe(1);
  });

  it('drops a stream whose client stopped reading, and only that one', async () => {
    // A 256 KiB flag: every change sends the whole ruleset to a stream that does not take patches.
    await t.request('POST', '/api/v1/flags', {
      as: t.admin,
      body: { key: 'copy', valueType: 'string', defaultValue: 'x'.repeat(256 * 1024) },
    });
    const reading = open();
    await reading.event();
    // A client that sends its request and never reads: the kernel's buffers fill (a few MiB on
    // loopback), then the server's own queue, until the limit (64 KiB here) drops it.
    const stalled = connect((server.address() as AddressInfo).port, '127.0.0.1');
    stalled.write(`GET /sdk/v1/stream?key=${secret} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    stalled.pause();
    let closed = false;
    stalled.on('close', () => (closed = true)).on('error', () => {});
    while (t.services.streams.size < 2) await new Promise((resolve) => setTimeout(resolve, 10));

    let changes = 0;
    while (t.services.streams.droppedSlow === 0 && changes < 100) {
      await toggle(changes++ % 2 === 1);
      await reading.event();
    }
    expect(t.services.streams.droppedSlow).toBe(1);
    expect(changes).toBeGreaterThan(1); // not dropped before anything queued up
    stalled.resume(); // what it had received, then the end
    const deadline = Date.now() + 2000;
    while (!closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(true);
    expect(t.services.streams.size).toBe(1);

    // The reading client kept up and gets the next change.
    await toggle(changes % 2 === 1);
    expect((await reading.event()).split('\n')[1]).toBe('event: ruleset');
    const metrics = await t.request('GET', '/metrics', { as: t.admin });
    expect(metrics.text).toMatch(/^flagstaff_sdk_streams_dropped_slow_total 1$/m);
    expect(metrics.text).toMatch(/^flagstaff_sdk_streams_open 1$/m);
  });

  it('sends changes as patches of the changed flags to streams that ask, whole rulesets to others', async () => {
    await t.request('POST', '/api/v1/flags', {
      as: t.admin,
      body: { key: 'banner', valueType: 'boolean', defaultValue: false },
    });
    const patched = open({}, `/sdk/v1/stream?key=${secret}&patches=1`);
    const whole = open();
    const first = await patched.event();
    expect(first.split('\n')[1]).toBe('event: ruleset');
    await whole.event();

    await toggle(true);
    const patch = (await patched.event()).split('\n');
    expect(patch[1]).toBe('event: patch');
    const data = JSON.parse(patch[2]!.slice('data: '.length));
    expect(data.base).toBe(idOf(first));
    expect(Object.keys(data.features)).toEqual(['checkout']);
    expect(data.features.checkout).toEqual({ defaultValue: 'old', rules: [] }); // on, no rules yet
    expect(data.dateUpdated).toEqual(expect.any(String));
    expect((await whole.event()).split('\n')[1]).toBe('event: ruleset');

    // A stream resuming one change behind gets the patch from there; further behind, the whole.
    const behind = (revision: number) =>
      open(
        { authorization: `Bearer ${secret}`, 'last-event-id': String(revision) },
        '/sdk/v1/stream?patches=1',
      );
    const oneBehind = (await behind(idOf(first)).event()).split('\n');
    expect(oneBehind[1]).toBe('event: patch');
    expect(JSON.parse(oneBehind[2]!.slice('data: '.length)).base).toBe(idOf(first));
    expect((await behind(idOf(first) - 1).event()).split('\n')[1]).toBe('event: ruleset');

    // Removing a flag patches it to null.
    await t.request('DELETE', '/api/v1/flags/banner', { as: t.admin });
    const removal = (await patched.event()).split('\n');
    expect(removal[1]).toBe('event: patch');
    expect(JSON.parse(removal[2]!.slice('data: '.length)).features).toEqual({ banner: null });
  });

  it('sends encrypted streams that ask with patches=2 encrypted patches, whole rulesets otherwise', async () => {
    const env = await t.request('PATCH', '/api/v1/environments/production', {
      as: t.admin,
      body: { allowClientRuleset: true, encryptRuleset: true },
    });
    const key = env.json.encryptionKey as string;
    const client = (await t.sdkKey('client')).secret;
    const data = (block: string) => JSON.parse(block.split('\n')[2]!.slice('data: '.length));
    const typeOf = (block: string) => block.split('\n')[1];
    // One flag, changed whole: a patch of it would not be smaller than the whole ruleset.
    await toggle(false);
    const patched = open({}, `/sdk/v1/stream?key=${client}&patches=2`);
    const old = open({}, `/sdk/v1/stream?key=${client}&patches=1`);
    expect(typeOf(await patched.event())).toBe('event: ruleset');
    await old.event();
    await toggle(true);
    expect(typeOf(await patched.event())).toBe('event: ruleset');
    expect(typeOf(await old.event())).toBe('event: ruleset');

    // More flags: a change of one goes as an encrypted patch of exactly that one.
    for (let i = 0; i < 5; i++) {
      await t.request('POST', '/api/v1/flags', {
        as: t.admin,
        body: {
          key: `other-${i}`,
          valueType: 'string',
          defaultValue: `value ${i} `.repeat(20),
          availableToClientKeys: true,
        },
      });
      expect(typeOf(await patched.event())).toBe('event: patch');
      await old.event();
    }
    await toggle(false);
    const patch = await patched.event();
    expect(typeOf(patch)).toBe('event: patch');
    const body = data(patch);
    expect(body.features).toBeUndefined();
    expect(body.base).toBe(idOf(patch) - 1);
    expect(body.dateUpdated).toEqual(expect.any(String));
    // Old SDKs (patches=1) cannot read an encrypted patch: they keep getting whole rulesets.
    const whole = await old.event();
    expect(typeOf(whole)).toBe('event: ruleset');
    expect(patch.length).toBeLessThan(whole.length);
    const { decrypt } = await import('@flagstaff/sdk/core');
    const features = JSON.parse((await decrypt(data(whole).encryptedFeatures, key))!);
    expect(Object.keys(features)).toHaveLength(6);
    expect(JSON.parse((await decrypt(body.encryptedFeatures, key))!)).toEqual({
      checkout: features.checkout,
    });

    // A removal is null inside the encrypted features.
    await t.request('DELETE', '/api/v1/flags/other-0', { as: t.admin });
    const removal = data(await patched.event());
    expect(JSON.parse((await decrypt(removal.encryptedFeatures, key))!)).toEqual({ 'other-0': null });
    await old.event();

    // A saved-group change goes whole.
    await t.request('POST', '/api/v1/segments', {
      as: t.admin,
      body: { key: 'beta', name: 'Beta', kind: 'ids', ids: ['u1'] },
    });
    const put = await t.request('PUT', '/api/v1/flags/checkout/environments/production', {
      as: t.admin,
      headers: { 'if-match': '3' }, // three toggles so far
      body: { enabled: true, rules: [{ type: 'force', value: 'beta', segments: ['beta'] }] },
    });
    expect(put.status, put.text).toBe(200);
    expect(typeOf(await patched.event())).toBe('event: ruleset');
    await t.request('PUT', '/api/v1/segments/beta', {
      as: t.admin,
      body: { name: 'Beta', kind: 'ids', ids: ['u2'] },
    });
    expect(typeOf(await patched.event())).toBe('event: ruleset');
  });

  it('keeps an SDK client current through patches', async () => {
    const client = createClient({ apiHost: base, sdkKey: secret, cache: false, logger: silent });
    try {
      await client.ready({ timeoutMs: 2000 });
      expect(client.getValue('checkout', '')).toBe('old');
      const put = await t.request('PUT', '/api/v1/flags/checkout/environments/production', {
        as: t.admin,
        headers: { 'if-match': '0' },
        body: { enabled: true, rules: [{ type: 'force', value: 'new' }] },
      });
      expect(put.status, put.text).toBe(200);
      const deadline = Date.now() + 3000;
      while (client.getValue('checkout', '') !== 'new' && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(client.getValue('checkout', '')).toBe('new');
      expect(client.stats().source).toBe('stream');
    } finally {
      await client.close({ timeoutMs: 100 });
    }
  });

  it('keeps an SDK client with a decryption key current through encrypted patches', async () => {
    const env = await t.request('PATCH', '/api/v1/environments/production', {
      as: t.admin,
      body: { allowClientRuleset: true, encryptRuleset: true },
    });
    for (let i = 0; i < 5; i++)
      await t.request('POST', '/api/v1/flags', {
        as: t.admin,
        body: {
          key: `other-${i}`,
          valueType: 'string',
          defaultValue: `value ${i} `.repeat(20),
          availableToClientKeys: true,
        },
      });
    const connects = vi.spyOn(t.services.streams, 'connect');
    const client = createClient({
      apiHost: base,
      sdkKey: (await t.sdkKey('client')).secret,
      decryptionKey: env.json.encryptionKey,
      cache: false,
      logger: silent,
    });
    try {
      await client.ready({ timeoutMs: 2000 });
      await new Promise((resolve) => setTimeout(resolve, 100)); // the stream is up
      expect(client.getValue('checkout', '')).toBe('old');
      let changes = 0;
      client.subscribe(() => changes++);
      await t.request('PUT', '/api/v1/flags/checkout/environments/production', {
        as: t.admin,
        headers: { 'if-match': '0' },
        body: { enabled: true, rules: [{ type: 'force', value: 'new' }] },
      });
      const deadline = Date.now() + 3000;
      while (client.getValue('checkout', '') !== 'new' && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(client.getValue('checkout', '')).toBe('new');
      expect(client.getValue('other-3', '')).toBe('value 3 '.repeat(20));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(changes).toBe(1);
      expect(connects).toHaveBeenCalledTimes(1); // the patch applied: no reconnect for a whole ruleset
      expect((await t.services.rulesets.get(env.json.id)).encrypted?.patch).toBeDefined();
    } finally {
      await client.close({ timeoutMs: 100 });
    }
  });

  it('refuses bad keys with 401 and ends open streams on shutdown, so the server can close', async () => {
    const refused = open({}, '/sdk/v1/stream?key=fs_server_nope');
    expect((await refused.response).statusCode).toBe(401);
    const stream = open();
    const res = await stream.response;
    await stream.event();
    const ended = new Promise((resolve) => res.on('end', resolve));
    await t.services.lifecycle.stopping();
    await ended;
    expect(t.services.streams.size).toBe(0);
  });
});

describe('GET /sdk/v1/ruleset on a real server (the fast lane in front of the router)', () => {
  const fetchRuleset = (headers: Record<string, string>, query = '') =>
    fetch(`${base}/sdk/v1/ruleset${query}`, { headers });
  const comparable = (res: Response) => {
    const headers = Object.fromEntries(res.headers);
    delete headers['x-request-id'];
    delete headers.date;
    return { status: res.status, headers };
  };

  it('answers warm requests without the chain, exactly as the route answers cold ones', async () => {
    const lookups = vi.spyOn(t.services.keyCache, 'activeBySecret');
    const auth = { authorization: `Bearer ${secret}` };
    const cold = await fetchRuleset(auth);
    const coldBody = await cold.text();
    expect(JSON.stringify(JSON.parse(coldBody))).toBe(coldBody); // compact JSON, assembled per feature
    expect(lookups).toHaveBeenCalledTimes(1);
    const warm = await fetchRuleset({ ...auth, 'x-request-id': 'trace-123' });
    expect(await warm.text()).toBe(coldBody);
    expect(lookups).toHaveBeenCalledTimes(1); // answered by the fast lane
    expect(comparable(warm)).toEqual(comparable(cold));
    expect(warm.headers.get('x-request-id')).toBe('trace-123');
    expect(warm.headers.get('access-control-allow-origin')).toBe('*');
    expect(warm.headers.get('content-length')).toBe(String(Buffer.byteLength(coldBody)));

    const etag = warm.headers.get('etag')!;
    const notModified = await fetchRuleset(auth).then(() => fetchRuleset({ ...auth, 'if-none-match': etag }));
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etag);
    expect(notModified.headers.get('access-control-expose-headers')).toContain('ETag');
    expect(lookups).toHaveBeenCalledTimes(1);

    // A change is served at once (the built ruleset is dropped, so the route rebuilds it).
    await toggle(true);
    const changed = await fetchRuleset({ ...auth, 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);

    const metrics = await (await fetch(`${base}/metrics`, { headers: t.admin.headers })).text();
    const served =
      /flagstaff_http_requests_total\{method="GET",route="\/sdk\/v1\/ruleset",status="200"\} (\d+)/.exec(
        metrics,
      );
    expect(Number(served?.[1])).toBe(4);
    expect(metrics).toMatch(
      /flagstaff_http_requests_total\{method="GET",route="\/sdk\/v1\/ruleset",status="304"\} 1\n/,
    );
  });

  it('leaves refusals to the route: client keys where client rulesets are off, admin keys, bad keys', async () => {
    const client = (await t.sdkKey('client')).secret;
    expect((await fetchRuleset({ authorization: `Bearer ${secret}` })).status).toBe(200); // warm
    for (let i = 0; i < 2; i++) {
      // A key in the URL lands in logs: refused even when the key and the ruleset are warm.
      for (const headers of [{}, { authorization: `Bearer ${secret}` }] as Record<string, string>[]) {
        const inUrl = await fetchRuleset(headers, `?key=${secret}`);
        expect(inUrl.status).toBe(401);
        expect(((await inUrl.json()) as { error: { message: string } }).error.message).toContain(
          'Authorization: Bearer',
        );
      }
      expect((await fetchRuleset({ authorization: `Bearer ${client}` })).status).toBe(403);
      expect((await fetchRuleset({ authorization: `Bearer ${ADMIN_KEY}` })).status).toBe(403);
      expect((await fetchRuleset({ authorization: 'Bearer fs_server_nope' })).status).toBe(401);
      expect((await fetchRuleset({ authorization: 'Basic x' })).status).toBe(401);
    }
  });
});
