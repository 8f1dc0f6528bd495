// Storage faults (issue 13, point 8): a database locked by another connection, and a full disk.
// Event POSTs and management writes answer 503 with Retry-After (never 500, never a hang past a
// bound), every event acknowledged with a 202 is stored, and the service recovers by itself once
// the lock is released or space is freed. The disk-full case runs on a real 4 MB tmpfs when the
// tests may mount one (root), and on an injected store that fails with SQLITE_FULL everywhere.
import BetterSqlite3 from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventWriter } from '../../src/events/event-writer.ts';
import type { EventBatchRows } from '../../src/events/events-store.ts';
import { sqliteEventStore } from '../../src/events/events-store.ts';
import type { AsyncEventStore } from '../../src/events/writer-thread.ts';
import { createLogger } from '../../src/logger.ts';
import { ADMIN_KEY, makeEventsApp, newId } from './helpers.ts';

type EventsApp = Awaited<ReturnType<typeof makeEventsApp>>;

/** A batch of `size` track events with fresh ids, and those ids. */
function batch(size: number) {
  const ids = Array.from({ length: size }, newId);
  const events = ids.map((id, i) => ({
    type: 'track',
    id,
    ts: Date.now(),
    unit: `u${i}`,
    event: 'buy',
    value: i,
    properties: { note: 'x'.repeat(200) },
  }));
  return { ids, body: { events } };
}

/** Ids stored in track_events, of those given. */
function stored(t: EventsApp, ids: Iterable<string>): number {
  const has = t.db.sqlite.prepare('SELECT 1 FROM track_events WHERE id = ?').pluck();
  let n = 0;
  for (const id of ids) if (has.get(id) !== undefined) n++;
  return n;
}

const createFlag = (t: EventsApp, key: string) =>
  t.app.request('/api/v1/flags', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ key, valueType: 'boolean', defaultValue: false }),
  });

describe('a database locked by another connection', () => {
  // The writer thread only: the event-loop writer takes the same path (busy → retry → 503), and
  // each run costs the ~5 s lock wait of the main connection plus the writer's ~5 s.
  it('answers 503 + Retry-After while locked, then recovers; every 202 is stored', async () => {
    const t = await makeEventsApp({}, { file: true });
    try {
      const { secret } = await t.key('server');
      const acknowledged = new Set<string>();
      const send = async (size: number) => {
        const { ids, body } = batch(size);
        const res = await t.post(secret, body);
        if (res.status === 202) for (const id of ids) acknowledged.add(id);
        return res;
      };
      expect((await send(20)).status).toBe(202); // also writes the key's last-used time

      const other = new BetterSqlite3(t.db.location);
      other.exec('BEGIN IMMEDIATE');
      other.prepare("UPDATE environments SET name = name WHERE key = 'production'").run();
      const started = Date.now();
      const events = Promise.all([send(20), send(20), send(20)]);
      const management = await createFlag(t, 'locked-out');
      const during = await events;
      const waited = Date.now() - started;
      for (const res of during) {
        expect(res.status).toBe(503);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect(management.status).toBe(503);
      expect(Number(management.headers.get('retry-after'))).toBeGreaterThan(0);
      // The main connection waits up to its busy_timeout (5 s, the event loop with it), then the
      // writer up to 5 s: a bound, not a hang.
      expect(waited).toBeLessThan(12_000);

      other.exec('ROLLBACK');
      other.close();
      expect((await send(20)).status).toBe(202);
      expect((await createFlag(t, 'after-the-lock')).status).toBe(201);
      expect(stored(t, acknowledged)).toBe(acknowledged.size);
      expect(acknowledged.size).toBe(40);
    } finally {
      await t.close();
    }
  }, 25_000);
});

/** Whether this process may mount a tmpfs (root in a namespace that allows it). */
function tryMount(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fills the file system of `dir` with one file; its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) {
      try {
        writeSync(fd, chunk);
      } catch {
        // ENOSPC: now fill the last bytes one small chunk at a time.
        for (let i = 0; i < 1_000; i++) {
          try {
            writeSync(fd, chunk, 0, 512);
          } catch {
            break;
          }
        }
        return path;
      }
    }
  } finally {
    closeSync(fd);
  }
}

const mountPoint = mkdtempSync(join(tmpdir(), 'flagstaff-full-'));
const mounted = tryMount(mountPoint, '4m');
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe('a full disk', () => {
  it.skipIf(!mounted)(
    'answers 503 + Retry-After on a full 4 MB file system, stores every 202, recovers once space frees',
    async () => {
      const t = await makeEventsApp({}, { file: true, dir: mountPoint });
      try {
        const { secret } = await t.key('server');
        const acknowledged = new Set<string>();
        const unsent: ReturnType<typeof batch>[] = [];
        const send = async (b: ReturnType<typeof batch>) => {
          const res = await t.post(secret, b.body);
          if (res.status === 202) for (const id of b.ids) acknowledged.add(id);
          else unsent.push(b);
          return res;
        };
        expect((await send(batch(50))).status).toBe(202);
        const filler = fill(mountPoint);

        let refused: Awaited<ReturnType<typeof send>> | undefined;
        for (let i = 0; i < 200 && !refused; i++) {
          const res = await send(batch(100));
          expect([202, 503]).toContain(res.status);
          if (res.status === 503) refused = res;
        }
        expect(refused?.status).toBe(503);
        expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
        const management = await createFlag(t, 'no-room');
        expect([201, 503]).toContain(management.status); // never a 500
        if (management.status === 503) expect(management.headers.get('retry-after')).toBeTruthy();
        expect(stored(t, acknowledged)).toBe(acknowledged.size);

        rmSync(filler);
        for (const b of unsent.splice(0)) expect((await send(b)).status).toBe(202);
        expect((await send(batch(50))).status).toBe(202);
        expect((await createFlag(t, 'room-again')).status).toBe(201);
        expect(stored(t, acknowledged)).toBe(acknowledged.size);
      } finally {
        await t.close();
      }
    },
    20_000,
  );

  it('refuses with 503 + Retry-After while the store fails with SQLITE_FULL, and stores the retries once it stops', async () => {
    const t = await makeEventsApp();
    const db = t.db;
    const real = sqliteEventStore(db.sqlite, false);
    let full = true;
    const store: AsyncEventStore = {
      writeGroup: async (batches) => {
        if (full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        return real.writeGroup(batches);
      },
      deleteOlderThan: async (before, limit) => real.deleteOlderThan(before, limit),
      close: async () => undefined,
    };
    const writer = new EventWriter({ store, queueLimit: 1_000, logger: createLogger('silent') });
    const environmentId = (db.sqlite.prepare('SELECT id FROM environments LIMIT 1').get() as { id: string })
      .id;
    const rows = (n: number): EventBatchRows => ({
      environmentId,
      keyId: 'k',
      receivedAt: Date.now(),
      exposures: [],
      tracks: Array.from({ length: n }, (_, i) => ({
        id: newId(),
        ts: Date.now(),
        unit: `u${i}`,
        event: 'buy',
        value: null,
        properties: null,
      })),
    });
    const batches = [rows(5), rows(5)];
    const outcomes = await Promise.allSettled(batches.map((b) => writer.submit(b)));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as { status: number; headers: object };
      expect(error.status).toBe(503);
      expect(error.headers).toHaveProperty('Retry-After');
    }
    full = false;
    const counts = await Promise.all(batches.map((b) => writer.submit(b)));
    expect(counts.map((c) => c.accepted)).toEqual([5, 5]);
    expect((db.sqlite.prepare('SELECT count(*) AS n FROM track_events').get() as { n: number }).n).toBe(10);
    await writer.close();
    await t.close();
  });
});
