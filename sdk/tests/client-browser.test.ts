// Browser-only paths, run in Node with the few globals they need stubbed: EventSource (the key in
// the query string, our backoff instead of its own, one instance at a time), sendBeacon when the
// page hides, and localStorage as the default cache. The EventSource paths run through both
// entries: the default one and the one bundlers resolve for browsers (`index.browser.ts`).
import { createCipheriv, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, decryptPayload, type FlagstaffClient } from '@flagstaff/sdk';
// The browser entry, which Node does not resolve by condition; the lint pattern that keeps sdk/ out
// of the service's src/ also matches sdk/src, hence the disable.
// eslint-disable-next-line no-restricted-imports
import { createClient as createBrowserClient } from '../src/index.browser.js';
import { startTestServer, waitFor, type TestServer } from './client-test-server.js';

const silent = { warn: () => {}, error: () => {} };
const payload = (color: string) => ({ features: { color: { defaultValue: color, rules: [] } } });

/** Just enough of EventSource, driven by the test. */
class FakeEventSource {
  static instances: FakeEventSource[] = [];
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  listeners = new Map<string, ((e: { data: string; lastEventId: string }) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: (e: { data: string; lastEventId: string }) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
  }
  send(type: string, data: string, lastEventId = '') {
    for (const fn of this.listeners.get(type) ?? []) fn({ data, lastEventId });
  }
}

let servers: TestServer[] = [];
let clients: FlagstaffClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close({ timeoutMs: 100 })));
  await Promise.all(servers.map((s) => s.close().catch(() => {})));
  clients = [];
  servers = [];
  FakeEventSource.instances = [];
  vi.unstubAllGlobals();
});

describe.each([
  ['default entry', createClient],
  ['browser entry', createBrowserClient],
])('client in a browser (%s)', (_, create) => {
  it('streams with EventSource, the key in the query string, reconnecting with one instance at a time', async () => {
    const s = await startTestServer(payload('blue'));
    servers.push(s);
    const c = create({
      apiHost: s.url,
      sdkKey: 'client key/1',
      logger: silent,
      cache: false,
      retryBaseMs: 10,
      EventSource: FakeEventSource,
      fetch: (url, init) => fetch(url, { ...init, headers: { Authorization: `Bearer ${s.sdkKey}` } }),
    });
    clients.push(c);
    await c.ready();
    const first = await waitFor(() => FakeEventSource.instances[0], 2000, 'EventSource');
    expect(first.url).toBe(`${s.url}/sdk/v1/stream?patches=2&key=client%20key%2F1`);
    first.onopen?.();
    first.send('ruleset', JSON.stringify(payload('green')), '3');
    await waitFor(() => c.getValue('color', '') === 'green', 2000, 'update');
    first.send('patch', JSON.stringify({ base: 3, features: { color: { defaultValue: 'lime' } } }), '4');
    await waitFor(() => c.getValue('color', '') === 'lime', 2000, 'patch');

    let changes = 0;
    c.subscribe(() => changes++);
    first.onerror?.();
    expect(first.closed).toBe(true); // ours, not the browser's, reconnection
    const second = await waitFor(() => FakeEventSource.instances[1], 2000, 'reconnect');
    second.onopen?.();
    second.send('ruleset', JSON.stringify(payload('red')));
    await waitFor(() => c.getValue('color', '') === 'red', 2000, 'update after reconnect');
    expect(changes).toBe(1);
    expect(FakeEventSource.instances.filter((es) => !es.closed)).toHaveLength(1);
    await c.close();
    expect(second.closed).toBe(true);
  });
});

describe('client in a browser', () => {
  it('hands queued events to sendBeacon when the page hides, with the key in the query string', async () => {
    const s = await startTestServer(payload('blue'));
    servers.push(s);
    const beacons: { url: string; body: string }[] = [];
    const win = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    vi.stubGlobal('window', win);
    vi.stubGlobal('document', doc);
    vi.stubGlobal('navigator', {
      sendBeacon: (url: string, body: string) => beacons.push({ url, body }) > 0,
    });
    const c = createClient({
      apiHost: s.url,
      sdkKey: s.sdkKey,
      attributes: { id: 'visitor' },
      logger: silent,
      cache: false,
      streaming: false,
      flushIntervalMs: 60_000,
    });
    clients.push(c);
    await c.ready();
    c.track('scrolled');
    doc.dispatchEvent(new Event('visibilitychange')); // still visible: nothing
    expect(beacons).toHaveLength(0);
    doc.visibilityState = 'hidden';
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(beacons).toHaveLength(1);
    expect(beacons[0].url).toBe(`${s.url}/sdk/v1/events?key=${s.sdkKey}`);
    expect(JSON.parse(beacons[0].body).events).toMatchObject([
      { type: 'track', event: 'scrolled', unit: 'visitor' },
    ]);
    c.track('left');
    win.dispatchEvent(new Event('pagehide'));
    expect(beacons).toHaveLength(2);
    expect(c.stats()).toMatchObject({ queued: 0, sent: 2 });
    await c.close();
    win.dispatchEvent(new Event('pagehide')); // listeners are gone after close
    expect(beacons).toHaveLength(2);
  });

  it('hands events to sendBeacon one at a time with a batch size below 1, instead of looping', async () => {
    // maxBatchSize: 0 made every beacon empty and accepted, so the loop never emptied the queue:
    // the page froze as it was hidden. The stub stops accepting after 50 to end that loop.
    const beacons: string[] = [];
    const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    vi.stubGlobal('window', new EventTarget());
    vi.stubGlobal('document', doc);
    vi.stubGlobal('navigator', { sendBeacon: (_: string, body: string) => beacons.push(body) <= 50 });
    const c = createClient({
      apiHost: 'http://127.0.0.1:9',
      sdkKey: 'k',
      attributes: { id: 'visitor' },
      bootstrap: payload('blue'),
      logger: silent,
      cache: false,
      streaming: false,
      pollIntervalMs: 0,
      maxBatchSize: 0,
      flushIntervalMs: 60_000,
      fetch: () => new Promise<Response>(() => {}), // 'a' leaves at once, and stays in flight
    });
    clients.push(c);
    c.track('a');
    c.track('b');
    c.track('c');
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(beacons.map((body) => JSON.parse(body).events.map((e: { event: string }) => e.event))).toEqual([
      ['b'],
      ['c'],
    ]);
  });

  it('keeps the last ruleset in localStorage by default', async () => {
    const store = new Map<string, string>();
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    });
    const s = await startTestServer(payload('stored'));
    servers.push(s);
    const online = createClient({ apiHost: s.url, sdkKey: s.sdkKey, logger: silent, streaming: false });
    clients.push(online);
    await online.ready();
    expect(store.get(`flagstaff:${s.sdkKey}`)).toContain('stored');
    await s.close();
    const offline = createClient({ apiHost: s.url, sdkKey: s.sdkKey, logger: silent, streaming: false });
    clients.push(offline);
    expect((await offline.ready()).source).toBe('cache');
    expect(offline.getValue('color', '')).toBe('stored');
  });

  it('browser entry: uses the global EventSource, and polls where there is none', async () => {
    const s = await startTestServer(payload('blue'));
    servers.push(s);
    vi.stubGlobal('EventSource', FakeEventSource);
    const streaming = createBrowserClient({ apiHost: s.url, sdkKey: s.sdkKey, logger: silent, cache: false });
    clients.push(streaming);
    await streaming.ready();
    await waitFor(() => FakeEventSource.instances[0], 2000, 'EventSource');

    // Without a usable EventSource the client polls: a change on the server reaches it.
    const pollsChange = async (color: string) => {
      const polling = createBrowserClient({
        apiHost: s.url,
        sdkKey: s.sdkKey,
        logger: silent,
        cache: false,
        pollIntervalMs: 20,
      });
      clients.push(polling);
      await polling.ready();
      s.publish(payload(color));
      await waitFor(() => polling.getValue('color', '') === color, 2000, 'polled update');
    };
    vi.stubGlobal('EventSource', undefined);
    await pollsChange('green');

    // An EventSource that refuses to be made (a bad URL, a blocked scheme): polling, no throw.
    vi.stubGlobal(
      'EventSource',
      class {
        constructor() {
          throw new SyntaxError('bad URL');
        }
      },
    );
    await pollsChange('lime');
  });

  it('browser entry: backs off and polls when every stream opens and is hung up on at once', async () => {
    const s = await startTestServer(payload('blue'));
    servers.push(s);
    const c = createBrowserClient({
      apiHost: s.url,
      sdkKey: s.sdkKey,
      logger: silent,
      cache: false,
      retryBaseMs: 5,
      pollIntervalMs: 20,
      EventSource: FakeEventSource,
    });
    clients.push(c);
    await c.ready();
    s.publish(payload('green'));
    // A proxy that accepts every stream and closes it: open, then error, each time, for 500 ms.
    // Reconnecting as after a healthy connection would come back every few ms (one per 10 ms
    // tick here, ~50); backing off from 5 ms doubling takes ~8 attempts.
    let hungUp = 0;
    const until = Date.now() + 500;
    while (Date.now() < until) {
      const es = FakeEventSource.instances[hungUp];
      if (es) {
        es.onopen?.();
        es.onerror?.();
        hungUp++;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(hungUp).toBeGreaterThanOrEqual(3);
    expect(hungUp).toBeLessThan(20);
    await waitFor(() => c.getValue('color', '') === 'green', 2000, 'polled update');
  });

  it('browser entry: decrypts only with decrypt opted in', async () => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', key, iv);
    const text = Buffer.concat([cipher.update(JSON.stringify(payload('secret').features)), cipher.final()]);
    const s = await startTestServer({
      encryptedFeatures: `${iv.toString('base64')}.${text.toString('base64')}`,
    });
    servers.push(s);
    const errors: unknown[] = [];
    const options = {
      apiHost: s.url,
      sdkKey: s.sdkKey,
      decryptionKey: key.toString('base64'),
      logger: { warn: () => {}, error: (...args: unknown[]) => errors.push(args) },
      cache: false as const,
      streaming: false,
    };
    const without = createBrowserClient(options);
    const opted = createBrowserClient({ ...options, decrypt: decryptPayload });
    clients.push(without, opted);
    await Promise.all([without.ready(), opted.ready()]);
    expect(without.getValue('color', 'fallback')).toBe('fallback');
    expect(String(errors.flat()[1])).toMatch(/decrypt: decryptPayload/);
    expect(opted.getValue('color', '')).toBe('secret');
  });
});
