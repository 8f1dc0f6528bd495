// The group-commit writer through the app: concurrent requests share commits, a full queue answers
// 503 + Retry-After, shutdown commits what is in flight, a busy database delays instead of failing,
// per-key rate limits answer 429 + Retry-After, and retention deletes old raw events in chunks.
import { afterEach, describe, expect, it } from 'vitest';
import { exposure, makeEventsApp, track } from './helpers.ts';

type EventsApp = Awaited<ReturnType<typeof makeEventsApp>>;
const apps: EventsApp[] = [];
async function app(...args: Parameters<typeof makeEventsApp>) {
  const t = await makeEventsApp(...args);
  apps.push(t);
  return t;
}
afterEach(async () => {
  while (apps.length > 0) await apps.pop()!.close();
});

const batch = (unit: string, n: number) => ({
  events: Array.from({ length: n }, (_, i) =>
    i % 2 ? track(unit, 'e', { value: i }) : exposure(unit, 'x', 'a'),
  ),
});

/** Lets pending promise callbacks (request handlers reading their bodies) run. */
async function until(condition: () => boolean) {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

describe.each([
  ['on the writer thread', true],
  ['on the event loop', false],
])('group commit %s', (_, thread) => {
  it('merges concurrent requests into few transactions, and every acknowledged event is stored', async () => {
    const t = await app({ EVENTS_WRITER_THREAD: thread }, { file: true });
    const { secret } = await t.key('server');
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => t.post(secret, batch(`g${i}`, 20))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(202));
    expect(results.reduce((sum, r) => sum + r.json.accepted, 0)).toBe(600);
    expect(t.count('exposures') + t.count('track_events')).toBe(600);
    expect(t.writer.stats.batches).toBe(30);
    expect(t.writer.stats.commits).toBeLessThan(10);
  });

  it('answers 503 with Retry-After when the queue is full, and stores exactly what it acknowledged', async () => {
    const t = await app({ EVENTS_QUEUE_LIMIT: 25, EVENTS_WRITER_THREAD: thread }, { file: true });
    const { secret } = await t.key('server');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => t.post(secret, batch(`bp${i}`, 10))),
    );
    const refused = results.filter((r) => r.status === 503);
    const accepted = results.filter((r) => r.status === 202);
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.json.error.code).toBe('unavailable');
    }
    expect(t.count('exposures') + t.count('track_events')).toBe(accepted.length * 10);
    // Once the queue has drained, batches are taken again.
    expect((await t.post(secret, batch('bp-after', 10))).status).toBe(202);
  });

  it('commits the batches in flight when the service stops, then refuses new ones with 503', async () => {
    const t = await app({ EVENTS_WRITER_THREAD: thread }, { file: true });
    const { secret } = await t.key('server');
    const inFlight = Array.from({ length: 5 }, (_, i) => t.post(secret, batch(`sd${i}`, 10)));
    // Microtasks only: the handlers read their bodies and queue, the commit (setImmediate) waits.
    for (let i = 0; i < 10_000 && t.writer.pendingEvents < 50; i++) await Promise.resolve();
    expect(t.writer.pendingEvents).toBe(50);
    await t.lifecycle.close();
    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect(t.count('exposures') + t.count('track_events')).toBe(50);
    const late = await t.post(secret, batch('sd-late', 1));
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('1');
  });
});

describe('a busy database', () => {
  for (const [label, file, thread] of [
    ['own connection, writer thread', true, true],
    ['own connection, event loop', true, false],
    ['shared in-memory connection', false, false],
  ] as const) {
    it(`waits while a management transaction holds the database (${label})`, async () => {
      const t = await app({ EVENTS_WRITER_THREAD: thread }, { file });
      const { secret } = await t.key('server');
      let release!: () => void;
      const held = t.db.transaction(async () => {
        t.db.sqlite.prepare("UPDATE environments SET name = name WHERE key = 'production'").run();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await until(() => release !== undefined);
      const pending = t.post(secret, batch('busy', 4));
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(t.writer.stats.commits).toBe(0);
      release();
      await held;
      const res = await pending;
      expect(res.status).toBe(202);
      expect(res.json.accepted).toBe(4);
    });
  }
});

describe('per-key rate limit', () => {
  it('answers 429 with Retry-After once a key has spent its events per second, per key', async () => {
    let now = Date.parse('2026-06-01T12:00:00Z');
    const clock = { now: () => new Date(now) };
    const t = await app({ EVENTS_RATE_LIMIT_PER_SECOND: 10 }, { clock });
    const a = await t.key('server');
    const b = await t.key('client');
    const events = (n: number) => ({
      events: Array.from({ length: n }, () => track('rl', 'e', { ts: now })),
    });
    expect((await t.post(a.secret, events(8))).status).toBe(202);
    // Two tokens left: let in, and it goes into debt (-3).
    expect((await t.post(a.secret, events(5))).status).toBe(202);
    const limited = await t.post(a.secret, events(1));
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('rate_limited');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await t.post(b.secret, events(1))).status).toBe(202);
    now += 1000;
    expect((await t.post(a.secret, events(1))).status).toBe(202);
    expect(t.count('track_events')).toBe(15);
  });
});

describe('retention', () => {
  it('deletes raw events older than EVENTS_RETENTION_DAYS, in bounded chunks, and keeps first exposures', async () => {
    const t = await app({ EVENTS_RETENTION_DAYS: 2 }, { file: true });
    const { secret } = await t.key('server');
    const day = 86_400_000;
    const now = Date.now();
    const old = Array.from({ length: 6 }, (_, i) => exposure(`r${i}`, 'ret', 'a', { ts: now - 3 * day - i }));
    const recent = [track('r0', 'e', { ts: now - day }), exposure('r9', 'ret', 'a', { ts: now - day })];
    expect((await t.post(secret, { events: [...old, ...recent] })).json.accepted).toBe(8);
    expect(await t.writer.runRetention()).toBe(6);
    expect(await t.writer.runRetention()).toBe(0);
    expect(t.count('exposures')).toBe(1);
    expect(t.count('track_events')).toBe(1);
    expect(t.count('experiment_units', "experiment = 'ret'")).toBe(7);
  });

  it('is off with EVENTS_RETENTION_DAYS=0', async () => {
    const t = await app({ EVENTS_RETENTION_DAYS: 0 });
    const { secret } = await t.key('server');
    await t.post(secret, { events: [track('r', 'e', { ts: Date.now() - 20 * 86_400_000 })] });
    expect(await t.writer.runRetention()).toBe(0);
    expect(t.count('track_events')).toBe(1);
  });
});
