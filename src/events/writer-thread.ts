// The event store on a worker thread: the group commits (SQLite inserts and the fsync) run beside
// the event loop instead of on it, so that HTTP parsing and validation of the next requests
// overlap with the commit of the previous ones. The main thread sends one message per group commit
// and gets the counts back once the transaction is durable.
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { workerBoot } from '../worker-boot.ts';
import type { EventBatchRows, EventStore, WriteCounts } from './events-store.ts';

/** The asynchronous face of an event store, as the writer uses it. */
export interface AsyncEventStore {
  writeGroup(batches: readonly EventBatchRows[]): Promise<WriteCounts[]>;
  deleteOlderThan(before: number, limit: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * A batch as it crosses to the worker: its rows flattened into one array of plain values per
 * kind. Structured cloning writes every property name of every object; flat arrays of strings and
 * numbers clone at a fraction of the cost, on both threads.
 */
interface PackedBatch {
  environmentId: string;
  keyId: string;
  receivedAt: number;
  /** id, ts, unit, experiment, variation, flag, attributes; repeated. */
  exposures: (string | number | null)[];
  /** id, ts, unit, event, value, properties; repeated. */
  tracks: (string | number | null)[];
}

function pack(batch: EventBatchRows): PackedBatch {
  const exposures: (string | number | null)[] = [];
  for (const e of batch.exposures)
    exposures.push(e.id, e.ts, e.unit, e.experiment, e.variation, e.flag, e.attributes);
  const tracks: (string | number | null)[] = [];
  for (const t of batch.tracks) tracks.push(t.id, t.ts, t.unit, t.event, t.value, t.properties);
  return {
    environmentId: batch.environmentId,
    keyId: batch.keyId,
    receivedAt: batch.receivedAt,
    exposures,
    tracks,
  };
}

function unpack(packed: PackedBatch): EventBatchRows {
  const x = packed.exposures;
  const exposures: EventBatchRows['exposures'] = [];
  for (let i = 0; i < x.length; i += 7) {
    exposures.push({
      id: x[i] as string,
      ts: x[i + 1] as number,
      unit: x[i + 2] as string,
      experiment: x[i + 3] as string,
      variation: x[i + 4] as string,
      flag: x[i + 5] as string | null,
      attributes: x[i + 6] as string | null,
    });
  }
  const y = packed.tracks;
  const tracks: EventBatchRows['tracks'] = [];
  for (let i = 0; i < y.length; i += 6) {
    tracks.push({
      id: y[i] as string,
      ts: y[i + 1] as number,
      unit: y[i + 2] as string,
      event: y[i + 3] as string,
      value: y[i + 4] as number | null,
      properties: y[i + 5] as string | null,
    });
  }
  return {
    environmentId: packed.environmentId,
    keyId: packed.keyId,
    receivedAt: packed.receivedAt,
    exposures,
    tracks,
  };
}

type Call =
  | { op: 'write'; batches: readonly PackedBatch[] }
  | { op: 'delete'; before: number; limit: number }
  | { op: 'close' };
type Request = Call & { id: number };
type Reply = { id: number; result: unknown } | { id: number; error: { message: string; code?: string } };

/** A store used on the calling thread (in-memory databases, tests), behind the same interface. */
export function sameThreadStore(open: () => EventStore, busy?: () => boolean): AsyncEventStore {
  let store: EventStore | undefined;
  const get = () => (store ??= open());
  const guard = () => {
    if (busy?.()) throw Object.assign(new Error('connection in a transaction'), { code: 'SQLITE_BUSY' });
  };
  return {
    writeGroup: async (batches) => (guard(), get().writeGroup(batches)),
    deleteOlderThan: async (before, limit) => (guard(), get().deleteOlderThan(before, limit)),
    close: async () => store?.close(),
  };
}

/** Starts the writer thread on the database file `location`. */
/**
 * Starts the writer thread on the database file `location`. Should the thread die (a native
 * fault), the requests waiting on it fail (503, and the SDKs resend: ids make that safe) and the
 * next call starts a new one.
 */
export function threadStore(location: string): AsyncEventStore {
  // The worker runs this module too (the same file, source or build).
  const boot = workerBoot(import.meta.url);
  let nextId = 1;
  let closing = false;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  let worker: Worker | undefined;

  const start = (): Worker => {
    const thread = new Worker(boot, {
      eval: true,
      workerData: { flagstaffEventWriter: location },
      execArgv: [],
    });
    thread.unref();
    const fail = (error: Error) => {
      if (worker !== thread) return;
      worker = undefined;
      for (const { reject } of waiting.values()) reject(error);
      waiting.clear();
    };
    thread.on('message', (reply: Reply) => {
      const pending = waiting.get(reply.id);
      if (!pending) return;
      waiting.delete(reply.id);
      if ('error' in reply)
        pending.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else pending.resolve(reply.result);
    });
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`event writer thread exited (${code})`)));
    return thread;
  };

  const call = <T>(request: Call): Promise<T> => {
    if (closing && request.op !== 'close') return Promise.reject(new Error('event writer thread closed'));
    const thread = (worker ??= start());
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      thread.postMessage({ ...request, id });
    });
  };
  return {
    writeGroup: (batches) => call<WriteCounts[]>({ op: 'write', batches: batches.map(pack) }),
    deleteOlderThan: (before, limit) => call<number>({ op: 'delete', before, limit }),
    async close() {
      closing = true;
      const thread = worker;
      if (!thread) return;
      await call<void>({ op: 'close' });
      worker = undefined;
      await thread.terminate();
    },
  };
}

// --- the worker side ----------------------------------------------------------------------------
const writerLocation = (workerData as { flagstaffEventWriter?: string } | null)?.flagstaffEventWriter;
if (parentPort && writerLocation) {
  const port = parentPort;
  const { openWriterConnection, sqliteEventStore } = await import('./events-store.ts');
  // Off the event loop, waiting for a lock is harmless: up to 5 s, as the main connection does.
  const connection = openWriterConnection(writerLocation);
  connection.pragma('busy_timeout = 5000');
  const store = sqliteEventStore(connection, true);
  port.on('message', (request: Request) => {
    try {
      let result: unknown;
      if (request.op === 'write') result = store.writeGroup(request.batches.map(unpack));
      else if (request.op === 'delete') result = store.deleteOlderThan(request.before, request.limit);
      else store.close();
      port.postMessage({ id: request.id, result } satisfies Reply);
    } catch (error) {
      const { message, code } = error as { message: string; code?: string };
      port.postMessage({ id: request.id, error: { message, code } } satisfies Reply);
    }
  });
}
