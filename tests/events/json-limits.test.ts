// Event properties and attributes within the JSON limits (issue 13): an event nested too deep or too
// large is rejected on its own (202, listed in `rejected`), never a 500, and the others are kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposure, makeEventsApp, track } from './helpers.ts';

type EventsApp = Awaited<ReturnType<typeof makeEventsApp>>;
let t: EventsApp;
let server: Awaited<ReturnType<EventsApp['key']>>;

beforeAll(async () => {
  t = await makeEventsApp({ EVENTS_MAX_PROPERTIES_BYTES: 1024 });
  server = await t.key('server');
});
afterAll(() => t.close());

// Built as text: JSON.stringify itself overflows on values this deep.
const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
/** A batch as JSON text, with `@DEEP@` in a property replaced by raw JSON. */
const batch = (events: unknown[], raw: string) => JSON.stringify({ events }).replace('"@DEEP@"', raw);

describe('event properties and attributes', () => {
  for (const levels of [3000, 100_000]) {
    it(`rejects an event nested ${levels} deep on its own, keeping the rest of the batch`, async () => {
      const units = [`u-ok-${levels}`, `u-deep-${levels}`, `u-attr-${levels}`];
      const body = batch(
        [
          track(units[0]!, 'buy', { properties: { plan: 'pro' } }),
          track(units[1]!, 'buy', { properties: { nested: '@DEEP@' } }),
          exposure(units[2]!, 'exp', 'a', { attributes: { nested: '@DEEP@' } }),
        ],
        deep(levels),
      ).replace('"@DEEP@"', deep(levels));
      const res = await t.post(server.secret, body);
      expect(res.status, res.text.slice(0, 300)).toBe(202);
      expect(res.json.accepted).toBe(1);
      expect(res.json.rejected).toEqual([
        {
          index: 1,
          code: 'validation_failed',
          message: 'events.1.properties: nested more than 32 levels deep (objects and arrays)',
        },
        {
          index: 2,
          code: 'validation_failed',
          message: 'events.2.attributes: nested more than 32 levels deep (objects and arrays)',
        },
      ]);
      expect(t.count('track_events', 'unit = ?', units[0])).toBe(1);
      expect(t.count('track_events', 'unit = ?', units[1])).toBe(0);
      expect(t.count('exposures', 'unit = ?', units[2])).toBe(0);
    });
  }

  it('takes 32 levels, rejects 33; and rejects properties over EVENTS_MAX_PROPERTIES_BYTES', async () => {
    const body = batch(
      [
        track('u-32', 'buy', { properties: { x: '@DEEP@' } }),
        track('u-33', 'buy', { properties: { x: { y: 1 } } }),
        track('u-big', 'buy', { properties: { text: 'x'.repeat(1100) } }),
        exposure('u-big-attr', 'exp', 'a', { attributes: { text: 'x'.repeat(1100) } }),
      ],
      deep(31),
    ).replace('{"x":{"y":1}}', `{"x":${deep(32)}}`);
    const res = await t.post(server.secret, body);
    expect(res.status, res.text.slice(0, 300)).toBe(202);
    expect(res.json.accepted).toBe(1);
    expect(res.json.rejected.map((r: { index: number; message: string }) => [r.index, r.message])).toEqual([
      [1, 'events.1.properties: nested more than 32 levels deep (objects and arrays)'],
      [2, 'events.2.properties: 1111 bytes as JSON, more than the limit of 1024'],
      [3, 'events.3.attributes: 1111 bytes as JSON, more than the limit of 1024'],
    ]);
    expect(t.count('track_events', "unit = 'u-32'")).toBe(1);
    expect(t.count('track_events', "unit in ('u-33', 'u-big')")).toBe(0);
  });
});
