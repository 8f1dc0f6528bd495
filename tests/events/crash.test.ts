// Durability under crashes: a load generator posts event batches to the real service process while
// the process is killed with SIGKILL at random moments, five times; after each kill, every event of
// every batch that got a 2xx must be in the database. Unacknowledged batches are resent after the
// restart, as the SDK does (ids make that safe). Then the same under SIGTERM, which must commit the
// in-flight batches and exit 0. Kills alternate between the writer thread and the event-loop writer.
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSdkKey, makeBatch, post, spawnServer, type SpawnedServer } from './spawn-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'flagstaff-crash-'));
const file = join(dir, 'crash.db');
const KILLS = 5;
const SENDERS = 4;
const BATCH = 200;

let current: SpawnedServer | undefined;
afterAll(() => {
  if (current && current.child.exitCode === null) current.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Ids of every acknowledged event, and the batches still to (re)send. */
const acknowledged = new Set<string>();
const unsent: { body: string; ids: string[] }[] = [];
let nextBatch = 0;

function newBatch(): { body: string; ids: string[] } {
  const batch = nextBatch++;
  const body = makeBatch('crash', batch, BATCH);
  return { body, ids: Array.from({ length: BATCH }, (_, i) => `crash-${batch}-${i}`) };
}

/** Sends batches until the server goes away (or `stop()`); unacknowledged ones are kept for later. */
function load(server: SpawnedServer, secret: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  let running = true;
  let sent = 0;
  let acked!: () => void;
  const firstAck = new Promise<void>((resolve) => (acked = resolve));
  const sender = async () => {
    while (running) {
      const batch = unsent.pop() ?? newBatch();
      try {
        const res = await post(agent, server.port, '/sdk/v1/events', batch.body, {
          authorization: `Bearer ${secret}`,
        });
        if (res.status === 202) {
          const answer = JSON.parse(res.body) as {
            accepted: number;
            duplicates: number;
            rejected: unknown[];
          };
          expect(answer.rejected).toEqual([]);
          expect(answer.accepted + answer.duplicates).toBe(BATCH);
          for (const id of batch.ids) acknowledged.add(id);
          sent++;
          acked();
        } else {
          unsent.push(batch);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } catch {
        unsent.push(batch); // connection reset: the server died; no acknowledgement, so resend later
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const senders = Promise.all(Array.from({ length: SENDERS }, () => sender()));
  return {
    firstAck,
    sentBatches: () => sent,
    async stop() {
      running = false;
      await senders;
      agent.destroy();
    },
  };
}

/** Which acknowledged events are missing from the database file (opened after the process died). */
function missing(): { stored: number; lost: string[] } {
  const db = new BetterSqlite3(file);
  const stored = new Set<string>();
  let rows = 0;
  for (const table of ['exposures', 'track_events']) {
    for (const row of db.prepare(`SELECT id FROM ${table}`).iterate()) {
      stored.add((row as { id: string }).id);
      rows++;
    }
  }
  db.close();
  expect(rows, 'resent batches are stored once').toBe(stored.size);
  return { stored: stored.size, lost: [...acknowledged].filter((id) => !stored.has(id)) };
}

describe('durability of acknowledged events', () => {
  let secret = '';

  it(`survives ${KILLS} SIGKILLs under load without losing an acknowledged event`, async () => {
    for (let round = 1; round <= KILLS; round++) {
      const writerThread = round % 2 === 1;
      current = await spawnServer(file, { EVENTS_WRITER_THREAD: String(writerThread) });
      secret ||= await createSdkKey(current.port);
      const generator = load(current, secret);
      // Once batches are being acknowledged, kill at a random moment.
      await generator.firstAck;
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 1000));
      current.child.kill('SIGKILL');
      expect(await current.exited).toBe('SIGKILL');
      await generator.stop();
      const { stored, lost } = missing();
      console.log(
        `crash round ${round} (${writerThread ? 'writer thread' : 'event-loop writer'}): ${generator.sentBatches()} batches acknowledged this round; ` +
          `${acknowledged.size} events acknowledged in total, ${stored} stored, ${lost.length} lost, ${unsent.length} batches to resend`,
      );
      expect(generator.sentBatches()).toBeGreaterThan(0);
      expect(lost).toEqual([]);
    }
  }, 90_000);

  it('commits the in-flight batches on SIGTERM, exits 0, and has stored everything acknowledged', async () => {
    current = await spawnServer(file);
    const generator = load(current, secret);
    await generator.firstAck;
    await new Promise((resolve) => setTimeout(resolve, 300));
    current.child.kill('SIGTERM');
    expect(await current.exited).toBe(0);
    await generator.stop();
    const { stored, lost } = missing();
    console.log(
      `after SIGTERM: ${acknowledged.size} events acknowledged in total, ${stored} stored, ${lost.length} lost`,
    );
    expect(lost).toEqual([]);
    expect(current.output()).toMatch(/"msg":"stopped"/);
  }, 30_000);
});
