import { createCipheriv, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, type ClientOptions, type FlagstaffClient, type RulesetCache } from '@flagstaff/sdk';
import { startTestServer, waitFor, type TestServer } from './client-test-server.js';

const silent = { warn: () => {}, error: () => {} };
const payload = (on: boolean, color = 'blue') => ({
  features: {
    'new-checkout': { defaultValue: on, rules: [] },
    color: { defaultValue: color, rules: [] },
    archived: { defaultValue: 'x' }, // no rules: off in this environment
  },
  dateUpdated: new Date().toISOString(),
});

let servers: TestServer[] = [];
let clients: FlagstaffClient[] = [];
const server = async (initial: unknown, options?: Parameters<typeof startTestServer>[1]) => {
  const s = await startTestServer(initial, options);
  servers.push(s);
  return s;
};
const client = (s: { url: string; sdkKey: string }, options: Partial<ClientOptions> = {}) => {
  const c = createClient({
    apiHost: s.url,
    sdkKey: s.sdkKey,
    logger: silent,
    cache: false,
    retryBaseMs: 20,
    retryMaxMs: 200,
    flushIntervalMs: 50,
    ...options,
  });
  clients.push(c);
  return c;
};

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close({ timeoutMs: 100 })));
  await Promise.all(servers.map((s) => s.close().catch(() => {})));
  clients = [];
  servers = [];
});

describe('client: loading the ruleset', () => {
  it('starts from the network with the SDK key as a bearer token', async () => {
    const s = await server(payload(true, 'green'));
    const c = client(s, { streaming: false });
    expect(await c.ready()).toEqual({ source: 'network' });
    expect(s.requests[0].headers.authorization).toBe(`Bearer ${s.sdkKey}`);
    expect(c.isOn('new-checkout')).toBe(true);
    expect(c.getValue('color', 'red')).toBe('green');
    expect(c.evaluate('color').reason).toBe('DEFAULT');
    expect(c.evaluate('archived')).toMatchObject({ reason: 'DISABLED', value: 'x' });
    expect(c.stats().source).toBe('network');
  });

  it('revalidates with If-None-Match and keeps its ruleset on 304', async () => {
    const s = await server(payload(true));
    const c = client(s, { streaming: false, pollIntervalMs: 30 });
    let changes = 0;
    c.subscribe(() => changes++);
    await c.ready();
    await waitFor(() => s.requests.filter((r) => r.path === '/sdk/v1/ruleset').length >= 3, 3000, 'polls');
    const [first, second] = s.requests.filter((r) => r.path === '/sdk/v1/ruleset');
    expect(first.headers['if-none-match']).toBeUndefined();
    expect(second.headers['if-none-match']).toMatch(/^"[0-9a-f]+"$/);
    expect(changes).toBe(1); // the first load; 304s change nothing
    expect(c.isOn('new-checkout')).toBe(true);
    expect(c.stats().source).toBe('network');
  });

  it('reports an unusable key through ready() instead of throwing', async () => {
    const s = await server(payload(true));
    const c = client({ url: s.url, sdkKey: 'wrong' }, { streaming: false });
    expect(await c.ready()).toEqual({ source: 'none', error: 'HTTP 401' });
    expect(c.isOn('new-checkout')).toBe(false);
    expect(c.getValue('color', 'red')).toBe('red');
    expect(c.evaluate('color', 'red')).toMatchObject({ value: 'red', errorCode: 'PROVIDER_NOT_READY' });
  });
});

describe('client: streaming', () => {
  it('applies a ruleset pushed over SSE', async () => {
    const s = await server(payload(false));
    const c = client(s);
    await c.ready();
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    expect(c.isOn('new-checkout')).toBe(false);
    const changed = new Promise<void>((resolve) => c.subscribe(resolve));
    s.publish(payload(true));
    await changed;
    expect(c.isOn('new-checkout')).toBe(true);
    expect(c.stats().source).toBe('stream');
    expect(s.requests.find((r) => r.path === '/sdk/v1/stream')?.headers.authorization).toBe(
      `Bearer ${s.sdkKey}`,
    );
  });

  it('reads events split across writes, with comments and CRLF line ends', async () => {
    const s = await server(payload(false));
    const c = client(s);
    await c.ready();
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    const changed = new Promise<void>((resolve) => c.subscribe(resolve));
    const json = JSON.stringify(payload(true, 'teal'));
    s.writeRaw(': ping\r\n\r\nevent: ruleset\r\nid: 77\r\ndata: ');
    await new Promise((r) => setTimeout(r, 20));
    const cut = json.indexOf(':') + 1; // between JSON tokens, where the joining '\n' is whitespace
    s.writeRaw(`${json.slice(0, cut)}\r\ndata: ${json.slice(cut)}\r\n`);
    await new Promise((r) => setTimeout(r, 20));
    s.writeRaw('\r\n');
    await changed;
    expect(c.getValue('color', 'red')).toBe('teal');
  });

  it('applies patch events on the revision they start from, and starts over on any other', async () => {
    const s = await server(payload(false));
    const c = client(s);
    await c.ready();
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    const stream = s.requests.find((r) => r.path === '/sdk/v1/stream')!;
    expect(stream.query).toBe('?patches=2');
    // The stream's first event was revision 1 (see the test server).
    s.writeRaw(
      'event: patch\nid: 2\ndata: {"base":1,"features":{"color":{"defaultValue":"plum"},"archived":null}}\n\n',
    );
    await waitFor(() => c.getValue('color', '') === 'plum', 3000, 'patched');
    expect(c.isOn('new-checkout')).toBe(false); // untouched features stay
    expect(c.evaluate('archived').reason).toBe('FLAG_NOT_FOUND');
    expect(c.stats().source).toBe('stream');

    // A patch for revision 5 cannot apply to revision 2: reconnect, without Last-Event-ID.
    s.writeRaw('event: patch\nid: 6\ndata: {"base":5,"features":{"color":{"defaultValue":"gold"}}}\n\n');
    await waitFor(() => s.streamConnections === 2, 3000, 'fresh stream');
    const fresh = s.requests.filter((r) => r.path === '/sdk/v1/stream').at(-1)!;
    expect(fresh.headers['last-event-id']).toBeUndefined();
    await waitFor(() => c.getValue('color', '') === 'blue', 3000, 'whole ruleset again');
  });

  describe('encrypted patches', () => {
    // The service's format: `<iv base64>.<AES-128-CBC ciphertext base64>`.
    const key = randomBytes(16).toString('base64');
    const encrypt = (value: unknown) => {
      const iv = randomBytes(16);
      const cipher = createCipheriv('aes-128-cbc', Buffer.from(key, 'base64'), iv);
      const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return `${iv.toString('base64')}.${data.toString('base64')}`;
    };
    const encrypted = (on: boolean, color = 'blue') => {
      const { features, dateUpdated } = payload(on, color);
      return { encryptedFeatures: encrypt(features), dateUpdated };
    };
    const patch = (id: number, base: number, features: unknown, encryptedFeatures = encrypt(features)) =>
      `event: patch\nid: ${id}\ndata: ${JSON.stringify({ base, encryptedFeatures, dateUpdated: 'd' })}\n\n`;
    const streams = (s: TestServer) => s.requests.filter((r) => r.path === '/sdk/v1/stream');
    const start = async (options: Partial<ClientOptions> = {}) => {
      const s = await server(encrypted(false));
      const c = client(s, { decryptionKey: key, ...options });
      await c.ready();
      await waitFor(() => s.streams.size === 1, 3000, 'stream');
      let changes = 0; // after the first ruleset
      c.subscribe(() => changes++);
      return { s, c, changes: () => changes };
    };

    it('ready() says why an encrypted ruleset went unused (no key)', async () => {
      const s = await server(encrypted(false));
      const status = await client(s, {}).ready();
      expect(status.source).toBe('none');
      expect(status.error).toMatch(/cannot decrypt/);
    });

    it('decrypts a patch and applies it onto the revision it starts from, once', async () => {
      const { s, c, changes } = await start();
      expect(streams(s)[0]!.query).toBe('?patches=2');
      s.writeRaw(patch(2, 1, { color: { defaultValue: 'plum' }, archived: null }));
      await waitFor(() => c.getValue('color', '') === 'plum', 3000, 'patched');
      expect(c.isOn('new-checkout')).toBe(false); // untouched features stay
      expect(c.evaluate('archived').reason).toBe('FLAG_NOT_FOUND');
      expect(c.stats().source).toBe('stream');
      // Patches in a row apply each onto the one before.
      s.writeRaw(patch(3, 2, { 'new-checkout': { defaultValue: true, rules: [] } }));
      await waitFor(() => c.isOn('new-checkout'), 3000, 'second patch');
      expect(c.getValue('color', '')).toBe('plum');
      await new Promise((r) => setTimeout(r, 50));
      expect(changes()).toBe(2);
      expect(s.streamConnections).toBe(1);
      expect(c.getPayload()?.features).not.toHaveProperty('archived');
    });

    it('reconnects without Last-Event-ID for a whole ruleset when the base is not the revision it holds', async () => {
      const { s, c } = await start();
      s.writeRaw(patch(2, 1, { color: { defaultValue: 'plum' } }));
      await waitFor(() => c.getValue('color', '') === 'plum', 3000, 'patched');
      s.writeRaw(patch(6, 5, { color: { defaultValue: 'gold' } }));
      await waitFor(() => s.streamConnections === 2, 3000, 'fresh stream');
      expect(streams(s).at(-1)!.headers['last-event-id']).toBeUndefined();
      await new Promise((r) => setTimeout(r, 50));
      expect(c.getValue('color', '')).toBe('blue');
    });

    it('reconnects for a whole ruleset when a patch cannot be decrypted', async () => {
      const { s, c } = await start();
      s.writeRaw(patch(2, 1, { color: { defaultValue: 'plum' } }));
      await waitFor(() => c.getValue('color', '') === 'plum', 3000, 'patched');
      s.writeRaw(patch(3, 2, {}, 'AAAAAAAAAAAAAAAAAAAAAA==.AAAAAAAAAAAAAAAAAAAAAA=='));
      await waitFor(() => s.streamConnections === 2, 3000, 'fresh stream');
      expect(streams(s).at(-1)!.headers['last-event-id']).toBeUndefined();
      await waitFor(() => c.getValue('color', '') === 'blue', 3000, 'whole ruleset again');
      // ...and without a decryption key at all.
      const other = await start({ decryptionKey: undefined, logger: silent });
      other.s.writeRaw(patch(2, 1, { color: { defaultValue: 'gold' } }));
      await waitFor(() => other.s.streamConnections === 2, 3000, 'fresh stream without a key');
      expect(streams(other.s).at(-1)!.headers['last-event-id']).toBeUndefined();
    });

    it('never applies a patch onto another revision than its base', async () => {
      // Decryption held back: events queue up, and must apply in the order they arrived.
      const { decryptPayload } = await import('@flagstaff/sdk/core');
      let hold = Promise.resolve();
      const decrypt: ClientOptions['decrypt'] = async (p, k) => {
        await hold;
        return p.encryptedFeatures === 'broken' ? null : decryptPayload(p, k);
      };
      const { s, c } = await start({ decrypt });
      let release = () => {};
      hold = new Promise((resolve) => (release = resolve));
      // A patch of revision 1, then a whole revision 3: the patch must not land on revision 3.
      s.writeRaw(patch(2, 1, { color: { defaultValue: 'plum' } }));
      s.publish({ ...encrypted(true, 'three') });
      release();
      await waitFor(() => c.getValue('color', '') === 'three', 3000, 'whole ruleset');
      await new Promise((r) => setTimeout(r, 50));
      expect(c.getValue('color', '')).toBe('three');
      expect(s.streamConnections).toBe(1);

      // A revision that could not be decrypted is not held: a patch of it must not land on the
      // one before.
      s.publish({ encryptedFeatures: 'broken', dateUpdated: 'd' });
      s.writeRaw(patch(4, 3, { color: { defaultValue: 'gold' } }));
      await waitFor(() => s.streamConnections === 2, 3000, 'fresh stream');
      expect(streams(s).at(-1)!.headers['last-event-id']).toBeUndefined();
      expect(c.getValue('color', '')).toBe('three');
    });
  });

  it('hears nothing more from a connection it dropped, even later events of the same chunk', async () => {
    const s = await server(payload(false));
    const c = client(s);
    await c.ready();
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    // Two patches for a revision the client does not hold, in one write: the first drops the
    // connection for a fresh one; the second, from the dropped connection, must not drop that too.
    s.writeRaw(
      'event: patch\nid: 6\ndata: {"base":5,"features":{}}\n\n' +
        'event: patch\nid: 7\ndata: {"base":6,"features":{}}\n\n',
    );
    await waitFor(() => s.streamConnections >= 2, 3000, 'fresh stream');
    await new Promise((r) => setTimeout(r, 100));
    expect(s.streamConnections).toBe(2);
  });

  it('reconnects after the server restarts, resumes with Last-Event-ID, and never doubles listeners', async () => {
    const s = await server(payload(false));
    const c = client(s);
    let changes = 0;
    c.subscribe(() => changes++);
    await c.ready();
    await waitFor(() => s.streams.size === 1, 3000, 'first stream');
    s.publish(payload(true, 'one'));
    await waitFor(() => c.getValue('color', '') === 'one', 3000, 'first update');

    await s.close();
    await new Promise((r) => setTimeout(r, 100)); // a few failed reconnects against a closed port
    await s.restart();
    await waitFor(() => s.streams.size === 1, 5000, 'reconnected stream');
    const reconnect = s.requests.filter((r) => r.path === '/sdk/v1/stream').at(-1)!;
    expect(reconnect.headers['last-event-id']).toBe('2');

    const before = changes;
    s.publish(payload(true, 'two'));
    await waitFor(() => c.getValue('color', '') === 'two', 3000, 'update after restart');
    await new Promise((r) => setTimeout(r, 50));
    expect(changes - before).toBe(1);
    expect(s.streams.size).toBe(1);
  });

  it('counts a stream resumed with `event: current` as back: no polling after drops it recovers from', async () => {
    // A stream resumed at the current revision delivered nothing until the next change, so it never
    // counted as back: three drops in a row (a rolling deploy) left the client polling until then.
    const s = await server(payload(false), { streamCurrent: true });
    const c = client(s, { pollIntervalMs: 50, retryBaseMs: 10, retryMaxMs: 20 });
    await c.ready();
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    for (let drop = 0; drop < 4; drop++) {
      const before = s.streamConnections;
      for (const res of s.streams) res.destroy();
      await waitFor(() => s.streamConnections > before && s.streams.size === 1, 3000, 'reconnect');
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(s.requests.filter((r) => r.path === '/sdk/v1/stream').at(-1)?.headers['last-event-id']).toBe('1');
    const gets = () => s.requests.filter((r) => r.path === '/sdk/v1/ruleset').length;
    const before = gets();
    await new Promise((r) => setTimeout(r, 400));
    expect(gets() - before).toBe(0); // polling every 50 ms would have made ~8
    s.publish(payload(true));
    await waitFor(() => c.isOn('new-checkout'), 3000, 'streamed change');
  });

  it('drops and reconnects to a stream that sends more than 32 MiB without a line break', async () => {
    // The Node reader buffered such a stream without bound (a broken proxy or server could take
    // the process's memory); now it is a stream error, retried with backoff.
    const s = await server(payload(false));
    const warn = vi.fn();
    const c = client(s, { logger: { warn, error: () => {} } });
    await c.ready();
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    const mib = 'x'.repeat(2 ** 20);
    s.writeRaw('data: ');
    for (let i = 0; i < 33; i++) s.writeRaw(mib);
    await waitFor(() => s.streamConnections === 2, 5000, 'reconnect');
    expect(warn).toHaveBeenCalledWith('flagstaff: stream error', expect.stringMatching(/too large/));
    s.publish(payload(true));
    await waitFor(() => c.isOn('new-checkout'), 3000, 'streamed change');
  });

  it("takes the server's retry: field as its reconnect delay", async () => {
    const s = await server(payload(false));
    const c = client(s, { retryBaseMs: 10_000, retryMaxMs: 20_000 });
    await c.ready();
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    s.writeRaw('retry: 20\n\n');
    await new Promise((r) => setTimeout(r, 50));
    for (const res of s.streams) res.destroy();
    // With the configured 10 s base this would take seconds; the server asked for 20 ms.
    await waitFor(() => s.streamConnections === 2, 1000, 'quick reconnect');
  });

  it('keeps backing off from a stream that accepts and hangs up at once', async () => {
    const s = await server(payload(false), { streamHangUp: true });
    const c = client(s, { retryBaseMs: 50, retryMaxMs: 2000, pollIntervalMs: 100 });
    await c.ready();
    await new Promise((r) => setTimeout(r, 1000));
    // Without growing delays this would be ~40 connections (25 ms apart on average).
    expect(s.streamConnections).toBeGreaterThanOrEqual(2);
    expect(s.streamConnections).toBeLessThan(15);
    // Meanwhile polling keeps the ruleset fresh: such a stream never counts as connected.
    expect(s.requests.filter((r) => r.path === '/sdk/v1/ruleset').length).toBeGreaterThanOrEqual(3);
  });

  it('keeps backing off from a stream that asks for retry: 0 and hangs up', async () => {
    // A zero base used to make every backoff delay zero: hundreds of reconnects (each with a
    // conditional GET) per second, for as long as the server kept doing it.
    const s = await server(payload(false), { streamHangUp: 'retry: 0\n\n' });
    const c = client(s, { retryBaseMs: 50, retryMaxMs: 2000, pollIntervalMs: 0 });
    await c.ready();
    await new Promise((r) => setTimeout(r, 1000));
    expect(s.streamConnections).toBeGreaterThanOrEqual(2);
    expect(s.streamConnections).toBeLessThan(15);
  });

  it('takes intervals beyond the timer limit as that limit, not as "at once"', async () => {
    // setTimeout fires at once for delays past 2^31-1 ms: pollIntervalMs: Infinity polled in a
    // tight loop, and ready({ timeoutMs: Infinity }) timed out at once.
    const s = await server(payload(false));
    const c = client(s, { streaming: false, pollIntervalMs: Infinity });
    expect((await c.ready({ timeoutMs: Infinity })).source).toBe('network');
    await new Promise((r) => setTimeout(r, 300));
    expect(s.requests.filter((r) => r.path === '/sdk/v1/ruleset')).toHaveLength(1);
    const hanging = client(s, { streaming: false, fetch: () => new Promise<Response>(() => {}) });
    const first = await Promise.race([
      hanging.ready({ timeoutMs: 2 ** 32 }).then(() => 'ready settled'),
      new Promise((r) => setTimeout(r, 100, 'still waiting')),
    ]);
    expect(first).toBe('still waiting');
  });

  it('falls back to polling when the stream is refused', async () => {
    const s = await server(payload(false), { streamStatus: 404 });
    const c = client(s, { pollIntervalMs: 30 });
    await c.ready();
    await waitFor(
      () => s.requests.filter((r) => r.path === '/sdk/v1/stream').length === 1,
      3000,
      'stream try',
    );
    s.publish(payload(true));
    await waitFor(() => c.isOn('new-checkout'), 3000, 'polled update');
    expect(s.requests.filter((r) => r.path === '/sdk/v1/stream')).toHaveLength(1); // 4xx: not retried
  });

  it('keeps polling on schedule while the stream keeps failing faster than the poll interval', async () => {
    // Each failed reconnect used to restart the poll timer, so polls never came while the stream
    // failed more often than once per pollIntervalMs.
    const s = await server(payload(false), { streamStatus: 503 });
    const c = client(s, { pollIntervalMs: 150, retryBaseMs: 10, retryMaxMs: 30 });
    await c.ready();
    s.publish(payload(true));
    await waitFor(() => c.isOn('new-checkout'), 1500, 'polled update');
    expect(s.requests.filter((r) => r.path === '/sdk/v1/stream').length).toBeGreaterThan(3);
  });
});

describe('client: requests that hang', () => {
  it('gives up on a first ruleset GET that never answers, then streams', async () => {
    // Nothing timed the GET out: streaming (and polling) waited for it to fail, ~5 min in Node
    // (undici's own limit), possibly for ever in a browser.
    const s = await server(payload(true, 'streamed'), {
      hang: (r) => r.path === '/sdk/v1/ruleset' && s.requests.filter((q) => q.path === r.path).length === 1,
    });
    const c = client(s, { requestTimeoutMs: 100 });
    const status = await c.ready({ timeoutMs: 2000 });
    expect(status.source).not.toBe('network');
    expect(status.error).toMatch(/timeout/i);
    await waitFor(() => c.getValue('color', '') === 'streamed', 3000, 'streamed ruleset');
    expect(s.streams.size).toBe(1);
  });

  it('polls on after GETs that never answer, the first one and a poll', async () => {
    let gets = 0;
    const s = await server(payload(true, 'polled'), {
      hang: (r) => r.path === '/sdk/v1/ruleset' && ++gets <= 2,
    });
    const c = client(s, { streaming: false, pollIntervalMs: 50, requestTimeoutMs: 100 });
    expect((await c.ready({ timeoutMs: 2000 })).error).toMatch(/timeout/i);
    await waitFor(() => c.getValue('color', '') === 'polled', 3000, 'polled ruleset');
    expect(gets).toBe(3);
  });

  it('streams after a failed first GET even while the cache never answers', async () => {
    // After a failed first load the client waited for the cache read before streaming or polling:
    // a store that never answered (Redis down) with the service down at start left it so for good.
    const s = await server(payload(true, 'streamed'), {
      hang: (r) => r.path === '/sdk/v1/ruleset' && s.requests.filter((q) => q.path === r.path).length === 1,
    });
    const c = client(s, { requestTimeoutMs: 100, cache: { get: () => new Promise(() => {}), set() {} } });
    await waitFor(() => c.getValue('color', '') === 'streamed', 3000, 'streamed ruleset');
  });

  it('takes requestTimeoutMs: Infinity (like 0) as no timeout, not as a timer per request', async () => {
    // Capped at the timer limit, each request left a ~23-day timer behind: a pile-up in a server.
    const s = await server(payload(true));
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      for (const requestTimeoutMs of [Infinity, 0]) {
        const c = client(s, { streaming: false, pollIntervalMs: 0, requestTimeoutMs });
        expect(await c.ready()).toEqual({ source: 'network' });
      }
      expect(timers.mock.calls.filter(([, ms]) => (ms ?? 0) >= 2e9)).toEqual([]);
    } finally {
      timers.mockRestore();
    }
  });

  it('leaves the stream itself untimed: it is long-lived', async () => {
    const s = await server(payload(false));
    const c = client(s, { requestTimeoutMs: 50 });
    await c.ready();
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
    await new Promise((r) => setTimeout(r, 300));
    expect(s.streamConnections).toBe(1);
    s.publish(payload(true));
    await waitFor(() => c.isOn('new-checkout'), 3000, 'streamed change');
  });
});

describe('client: offline', () => {
  const deadHost = async () => {
    const s = await startTestServer({});
    const url = s.url;
    await s.close();
    return { url, sdkKey: 'k' };
  };

  it('settles ready() with defaults when nothing is available', async () => {
    const c = client(await deadHost(), { streaming: false });
    const status = await c.ready({ timeoutMs: 3000 });
    expect(status.source).toBe('none');
    expect(status.error).toBeTruthy();
    expect(c.getValue('color', 'red')).toBe('red');
    expect(c.isOn('new-checkout')).toBe(false);
  });

  it('serves a bootstrap payload right away', async () => {
    const c = client(await deadHost(), { bootstrap: payload(true, 'boot') });
    expect(c.getValue('color', 'red')).toBe('boot'); // synchronously, before ready()
    const status = await c.ready({ timeoutMs: 3000 });
    expect(status.source).toBe('bootstrap');
    expect(c.isOn('new-checkout')).toBe(true);
  });

  it('serves the last known ruleset from the cache, and caches what the network serves', async () => {
    const store = new Map<string, string>();
    const cache: RulesetCache = { get: async (k) => store.get(k), set: (k, v) => void store.set(k, v) };
    const s = await server(payload(true, 'cached'));
    const online = client(s, { cache, streaming: false });
    await online.ready();
    expect([...store.keys()]).toEqual([`flagstaff:${s.sdkKey}`]);

    const offline = client({ url: (await deadHost()).url, sdkKey: s.sdkKey }, { cache, streaming: false });
    const status = await offline.ready({ timeoutMs: 3000 });
    expect(status.source).toBe('cache');
    expect(status.error).toBeTruthy();
    expect(offline.getValue('color', 'red')).toBe('cached');
  });

  it('keeps the ruleset it has when a response is not a payload (empty body, [], a number), and says so', async () => {
    // A proxy or CDN answering 200 with an empty body (or JSON that is no payload) used to replace
    // the ruleset in use with an empty one, silently: every flag fell back to its default.
    for (const body of ['', '[]', '5', '"ok"', 'null', '{"features":"x"}']) {
      const error = vi.fn();
      const c = client(
        { url: 'http://127.0.0.1:9', sdkKey: 'k' },
        {
          bootstrap: payload(true, 'boot'),
          streaming: false,
          logger: { warn: () => {}, error },
          fetch: async () => new Response(body, { status: 200, headers: { ETag: '"x"' } }),
        },
      );
      await c.ready({ timeoutMs: 1000 });
      expect(c.getValue('color', 'red'), JSON.stringify(body)).toBe('boot');
      expect(c.stats().source).toBe('bootstrap');
      expect(error, JSON.stringify(body)).toHaveBeenCalledWith(
        'flagstaff: bad network ruleset',
        expect.anything(),
      );
    }
  });

  it('settles ready() even when the cache throws or rejects', async () => {
    const s = await server(payload(true, 'net'));
    const throwing = client(s, {
      streaming: false,
      cache: {
        get: () => {
          throw new Error('disk gone');
        },
        set: () => Promise.reject(new Error('disk gone')),
      },
    });
    expect(await throwing.ready()).toEqual({ source: 'network' });
    expect(throwing.getValue('color', '')).toBe('net');
    const rejecting = client(s, {
      streaming: false,
      cache: { get: () => Promise.reject(new Error('x')), set() {} },
    });
    expect(await rejecting.ready()).toEqual({ source: 'network' });
  });

  it('loads from the network while the cache never answers (a store that hangs)', async () => {
    // The network load waited for the cache read: a store that never answered (a Redis client
    // queueing commands while Redis is down) kept the client on defaults for good.
    const s = await server(payload(true, 'net'));
    const c = client(s, { streaming: true, cache: { get: () => new Promise(() => {}), set() {} } });
    expect(await c.ready({ timeoutMs: 1000 })).toEqual({ source: 'network' });
    expect(c.getValue('color', '')).toBe('net');
    await waitFor(() => s.streams.size === 1, 3000, 'stream');
  });

  it('compiles and announces a cache entry identical to the network ruleset once', async () => {
    // The cache entry (read while the network loads) and the network's identical text were both
    // compiled, and subscribers (OpenFeature's PROVIDER_CONFIGURATION_CHANGED) heard of both.
    const served = {
      ...payload(true, 'same'),
      features: { f: { defaultValue: 'd', rules: [{ condition: { email: { $regex: '([' } }, force: 'x' }] } },
    };
    const s = await server(served);
    const warn = vi.fn();
    const text = JSON.stringify(served);
    const c = client(s, {
      streaming: false,
      logger: { warn, error: () => {} },
      cache: { get: () => text, set() {} },
    });
    let changes = 0;
    c.subscribe(() => changes++);
    expect(await c.ready()).toEqual({ source: 'network' });
    await new Promise((r) => setTimeout(r, 50));
    expect(changes).toBe(1);
    expect(warn.mock.calls.filter(([message]) => /\$regex/.test(String(message)))).toHaveLength(1);
    expect(c.stats().source).toBe('network');
    expect(c.getValue('f', '')).toBe('d');
  });

  it('lets neither a slow cache nor a slow decryption put an older ruleset over a newer one', async () => {
    // The cache is read while the network loads: what it holds is older than anything the
    // network gives, whichever arrives or finishes decrypting first.
    const s = await server(payload(true, 'net'));
    let answer: (text: string) => void = () => {};
    const c = client(s, {
      streaming: false,
      cache: { get: () => new Promise<string>((resolve) => (answer = resolve)), set() {} },
    });
    expect(await c.ready({ timeoutMs: 1000 })).toEqual({ source: 'network' });
    answer(JSON.stringify(payload(true, 'cached')));
    await new Promise((r) => setTimeout(r, 50));
    expect(c.getValue('color', '')).toBe('net');
    expect(c.stats().source).toBe('network');

    // An encrypted network payload still being decrypted: the cache serves meanwhile, then yields.
    const encrypted = await server({ encryptedFeatures: 'iv.cipher' });
    let decrypted: () => void = () => {};
    const e = client(encrypted, {
      streaming: false,
      decryptionKey: 'k',
      decrypt: async () => {
        await new Promise<void>((resolve) => (decrypted = resolve));
        return payload(true, 'net');
      },
      cache: { get: () => new Promise<string>((resolve) => (answer = resolve)), set() {} },
    });
    await waitFor(() => encrypted.requests.length === 1, 3000, 'network load');
    await new Promise((r) => setTimeout(r, 50));
    answer(JSON.stringify(payload(true, 'cached')));
    await waitFor(() => e.getValue('color', '') === 'cached', 3000, 'cache meanwhile');
    decrypted();
    await waitFor(() => e.getValue('color', '') === 'net', 3000, 'decrypted network payload');
    await new Promise((r) => setTimeout(r, 50));
    expect(e.getValue('color', '')).toBe('net');
  });

  it('recovers when the server comes up later', async () => {
    const s = await server(payload(true, 'late'));
    const port = s.port;
    await s.close();
    const c = client(s, { pollIntervalMs: 50 });
    expect((await c.ready({ timeoutMs: 2000 })).source).toBe('none');
    const again = await server(payload(true, 'late'), { port });
    expect(again.port).toBe(port);
    await waitFor(() => c.getValue('color', 'red') === 'late', 5000, 'recovery');
  });

  it('times out ready() but keeps loading', async () => {
    const c = createClient({
      apiHost: 'http://127.0.0.1:9',
      sdkKey: 'k',
      logger: silent,
      cache: false,
      streaming: false,
      fetch: () => new Promise<Response>(() => {}),
    });
    clients.push(c);
    expect(await c.ready({ timeoutMs: 50 })).toEqual({ source: 'none', error: 'timeout' });
  });
});
