import { describe, expect, it, vi } from 'vitest';
// These are internal units, not exported by the package; the lint pattern that keeps sdk/ out of the
// service's src/ also matches sdk/src, hence the disables.
// eslint-disable-next-line no-restricted-imports
import { backoffDelay, parseRetryAfter } from '../src/backoff.js';
// eslint-disable-next-line no-restricted-imports
import { randomId } from '../src/random-id.js';
// eslint-disable-next-line no-restricted-imports
import { createSseParser, type SseEvent } from '../src/sse-reader.js';
// eslint-disable-next-line no-restricted-imports
import { syncRuleset, type StreamReport } from '../src/ruleset-sync.js';

const parse = (chunks: string[], lastId = '') => {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const push = createSseParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) }, lastId);
  for (const chunk of chunks) push(chunk);
  return { events, retries };
};

describe('SSE parser', () => {
  it('parses events, ids, comments and multi-line data', () => {
    const { events } = parse([': ping\n\nevent: ruleset\nid: 3\ndata: {"a":\ndata: 1}\n\ndata: plain\n\n']);
    expect(events).toEqual([
      { type: 'ruleset', data: '{"a":\n1}', id: '3' },
      { type: 'message', data: 'plain', id: '3' },
    ]);
  });

  it('refuses to buffer a line or an event beyond its bound: a stream error, not unbounded memory', () => {
    // A server sending data without line breaks (or data lines without the blank line that ends
    // an event) was buffered without end.
    const push = (chunks: string[]) => {
      const events: SseEvent[] = [];
      const p = createSseParser({ onEvent: (e) => events.push(e) }, '', 10);
      for (const chunk of chunks) p(chunk);
      return events;
    };
    expect(() => push(['data: 1234', '56789'])).toThrow(/too large/);
    expect(() => push(['data: 12\n', 'data: 34\n', 'data: 56\n'])).toThrow(/too large/);
    // Within the bound, and the bound is per event: many events in a row are fine.
    expect(push(['data: 1234\n\n'.repeat(5)])).toHaveLength(5);
    expect(push([': 12345678\n'.repeat(5), 'data: 1\n\n'])).toHaveLength(1);
  });

  it('handles any chunking, CRLF and CR line ends, and a BOM', () => {
    const text = '\ufeffevent: ruleset\r\nid: 9\r\ndata: x\r\n\r\nevent: e2\rdata: y\r\r';
    const whole = parse([text]).events;
    const bytewise = parse([...text]).events;
    expect(whole).toEqual([
      { type: 'ruleset', data: 'x', id: '9' },
      { type: 'e2', data: 'y', id: '9' },
    ]);
    expect(bytewise).toEqual(whole);
  });

  it('follows the spec on edge cases: no data, no space, retry, id with NUL, pending last event', () => {
    const { events, retries } = parse(
      [
        'event: empty\n\ndata\n\ndata:nospace\n\nretry: 250\nretry: x\nid: a\0b\ndata: d\n\ndata: unterminated',
      ],
      'start',
    );
    expect(events).toEqual([
      { type: 'message', data: '', id: 'start' },
      { type: 'message', data: 'nospace', id: 'start' },
      { type: 'message', data: 'd', id: 'start' },
    ]);
    expect(retries).toEqual([250]);
  });
});

describe('backoff and Retry-After', () => {
  it('grows exponentially with full jitter and a cap, from the given base', () => {
    const options = { retryBaseMs: 100, retryMaxMs: 1000 };
    const random = vi.spyOn(Math, 'random');
    try {
      random.mockReturnValue(0.999);
      expect(backoffDelay(0, options)).toBe(99);
      random.mockReturnValue(0.5);
      expect(backoffDelay(3, options)).toBe(400);
      expect(backoffDelay(50, options)).toBe(500);
      expect(backoffDelay(2, options, 20)).toBe(40); // the server's `retry:` as the base
      expect(backoffDelay(2, {})).toBe(2000); // defaults: 1 s base, 60 s cap
      random.mockReturnValue(0);
      expect(backoffDelay(5, options)).toBe(0);
    } finally {
      random.mockRestore();
    }
  });

  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    // Timers overflow past 2^31-1 ms and fire at once: a year's wait must not become a retry loop.
    expect(parseRetryAfter(String(365 * 86_400), now)).toBe(2 ** 31 - 1);
  });
});

describe('event ids', () => {
  it('are v4 UUIDs, also without crypto.randomUUID (plain-http pages) or crypto (Node 18)', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(randomId()).toMatch(uuid);
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: (a: Uint8Array) => real.getRandomValues(a) });
    try {
      const ids = new Set(Array.from({ length: 100 }, randomId));
      expect(ids.size).toBe(100);
      for (const id of ids) expect(id).toMatch(uuid);
      vi.stubGlobal('crypto', undefined); // Node 18
      expect(randomId()).toMatch(uuid);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('ruleset sync', () => {
  it('applies a patch only onto the payload the stream gave at its base, not one a GET put in between', async () => {
    const bodies = ['{"features":{"a":{"defaultValue":1}}}', '{"features":{"a":{"defaultValue":3}}}'];
    const api = {
      send: async () => new Response(bodies.shift()!, { headers: { ETag: '"x"' } }),
      url: (path: string) => path,
    };
    const connections: string[] = [];
    let report: StreamReport = () => {};
    const connect = (_path: string, lastEventId: string, r: StreamReport) => {
      connections.push(lastEventId);
      report = r;
      return () => {};
    };
    const taken: string[] = [];
    const sync = syncRuleset({ apiHost: '', sdkKey: 'k', pollIntervalMs: 0 }, api, connect, (text) =>
      taken.push(text),
    );
    await sync.refresh();
    sync.start();
    report('open');
    report('ruleset', '{"features":{"a":{"defaultValue":1}}}', '1'); // revision 1, as loaded
    // The stream drops and comes back; the GET made on reopening brings a newer payload (revision 3).
    report('open');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(taken.at(-1)).toContain('"defaultValue":3');
    // A patch of revision 1 must not land on it: a whole ruleset is asked for instead.
    report('patch', '{"base":1,"features":{"b":{"defaultValue":2}}}', '2');
    expect(taken.at(-1)).toContain('"defaultValue":3');
    expect(taken.at(-1)).not.toContain('"b"');
    expect(connections).toEqual(['', '']);
    sync.close();
  });
});
