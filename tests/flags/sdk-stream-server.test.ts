// The SSE stream on a real Node server, where events are written straight to the socket rather
// than through Hono's web stream (which sdk-serving.test.ts covers in-process).
import { serve, type ServerType } from '@hono/node-server';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
let server: ServerType;
let base: string;
let secret: string;

beforeEach(async () => {
  t = await makeTestApp({ SSE_HEARTBEAT_SECONDS: 0.1 });
  secret = (await t.sdkKey('server')).secret;
  await t.request('POST', '/api/v1/flags', {
    as: t.admin,
    body: { key: 'checkout', valueType: 'string', defaultValue: 'old' },
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
  it('sends the ruleset, changes and heartbeats; Last-Event-ID skips; a closed client leaves the hub', async () => {
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

    // Resuming at the current revision: heartbeats, but no ruleset until the next change.
    const resumed = open(
      { authorization: `Bearer ${secret}`, 'last-event-id': String(idOf(second)) },
      '/sdk/v1/stream',
    );
    expect((await resumed.response).statusCode).toBe(200);
    await resumed.next((block) => block === ': ping');
    expect(resumed.seen.filter((block) => block.startsWith('id: '))).toEqual([]);
    await toggle(true);
    expect(idOf(await resumed.event())).toBeGreaterThan(idOf(second));

    expect(t.services.streams.size).toBe(2);
    res.destroy();
    const deadline = Date.now() + 2000;
    while (t.services.streams.size !== 1 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(t.services.streams.size).toBe(1);
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
