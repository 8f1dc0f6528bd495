// Event ingestion, side by side: sustained events per second over HTTP into the real service (a
// child process, so the load generator does not share its thread) with every acknowledgement
// durable, next to the raw rate of inserting the same rows straight into the same schema with
// better-sqlite3 under the same durability settings. Then where the time goes, per event.
// Runs the HTTP leg twice: writer on a worker thread (the default) and on the event loop.
// Knobs: BENCH_SECONDS (15 per HTTP leg), BENCH_SENDERS (16), BENCH_BATCH (500).
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../src/db/open-db.ts';
import {
  openWriterConnection,
  sqliteEventStore,
  type EventBatchRows,
} from '../../src/events/events-store.ts';
import { parseEvents } from '../../src/events/parse-events.ts';
import { createSdkKey, makeBatch, post, spawnServer } from '../../tests/events/spawn-server.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const SENDERS = Number(process.env.BENCH_SENDERS ?? 16);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const WARMUP_MS = 3_000;

const dir = mkdtempSync(join(tmpdir(), 'flagstaff-bench-ingest-'));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** CPU seconds (user + system, all threads) a process has used so far; Linux only, else NaN. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ)
  } catch {
    return NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

// --- 1. over HTTP ---------------------------------------------------------------------------
async function overHttp(writerThread: boolean) {
  const file = join(dir, `http-${writerThread}.db`);
  const server = await spawnServer(file, {
    EVENTS_RATE_LIMIT_PER_SECOND: '100000000',
    EVENTS_WRITER_THREAD: String(writerThread),
  });
  const secret = await createSdkKey(server.port);
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  const headers = { authorization: `Bearer ${secret}` };
  let acknowledged = 0;
  let measured = 0;
  let refused = 0;
  const latencies: number[] = [];
  const start = performance.now();
  const measureFrom = start + WARMUP_MS;
  const end = measureFrom + SECONDS * 1000;
  let measuredStart = 0;
  let measuredEnd = 0;

  let serverCpu = NaN;
  let clientCpu = 0;
  setTimeout(() => {
    serverCpu = cpuSeconds(server.child.pid);
    const own = process.cpuUsage();
    clientCpu = (own.user + own.system) / 1e6;
  }, WARMUP_MS);
  let serverCpuEnd = NaN;
  let clientCpuEnd = 0;
  setTimeout(
    () => {
      serverCpuEnd = cpuSeconds(server.child.pid);
      const own = process.cpuUsage();
      clientCpuEnd = (own.user + own.system) / 1e6;
    },
    WARMUP_MS + SECONDS * 1000,
  );
  async function sender(id: number) {
    for (let batch = 0; performance.now() < end; batch++) {
      const body = makeBatch(`s${id}`, batch, BATCH);
      const sentAt = performance.now();
      const res = await post(agent, server.port, '/sdk/v1/events', body, headers);
      const doneAt = performance.now();
      if (res.status === 202) {
        const { accepted } = JSON.parse(res.body) as { accepted: number };
        acknowledged += accepted;
        if (sentAt >= measureFrom && doneAt <= end) {
          measuredStart ||= sentAt;
          measuredEnd = doneAt;
          measured += accepted;
          latencies.push(doneAt - sentAt);
        }
      } else if (res.status === 429 || res.status === 503) {
        refused++;
        batch--; // resend the same batch, as an SDK does
        await new Promise((resolve) => setTimeout(resolve, 50));
      } else throw new Error(`unexpected ${res.status}: ${res.body.slice(0, 200)}`);
    }
  }
  await Promise.all(Array.from({ length: SENDERS }, (_, i) => sender(i)));
  agent.destroy();
  server.child.kill('SIGTERM');
  const code = await server.exited;
  const db = new BetterSqlite3(file, { readonly: true });
  const stored = (
    db
      .prepare('SELECT (SELECT count(*) FROM exposures) + (SELECT count(*) FROM track_events) AS n')
      .get() as { n: number }
  ).n;
  db.close();
  latencies.sort((a, b) => a - b);
  const seconds = (measuredEnd - measuredStart) / 1000;
  const wallSeconds = SECONDS;
  const eventsInWindow = (measured / seconds) * wallSeconds;
  return {
    serverCpuPerEvent: ((serverCpuEnd - serverCpu) * 1e6) / eventsInWindow,
    serverCores: (serverCpuEnd - serverCpu) / wallSeconds,
    clientCpuPerEvent: ((clientCpuEnd - clientCpu) * 1e6) / eventsInWindow,
    rate: measured / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    refused,
    acknowledged,
    stored,
    exitCode: code,
  };
}

// --- 2. raw inserts, same schema and settings -------------------------------------------------
function rows(batches: number): EventBatchRows[] {
  const now = Date.now();
  return Array.from({ length: batches }, (_, b) => {
    const parsed = parseEvents(JSON.parse(makeBatch('raw', b, BATCH, now)), {
      maxEvents: BATCH,
      now,
      maxFutureMs: 1e9,
      maxPastMs: 1e9,
    });
    return { environmentId: 'env_bench', keyId: 'key_bench', receivedAt: now, ...parsed };
  });
}

function raw(batchesPerCommit: number, total: EventBatchRows[]): number {
  const file = join(dir, `raw-${batchesPerCommit}.db`);
  openDb(`file:${file}`).close(); // create and migrate
  const store = sqliteEventStore(openWriterConnection(file), true);
  const started = performance.now();
  let events = 0;
  for (let i = 0; i < total.length; i += batchesPerCommit) {
    const group = total.slice(i, i + batchesPerCommit);
    for (const counts of store.writeGroup(group)) events += counts.accepted;
  }
  const rate = events / ((performance.now() - started) / 1000);
  store.close();
  return rate;
}

// --- 3. where the time goes -------------------------------------------------------------------
function breakdown() {
  const body = makeBatch('cost', 1, BATCH);
  const options = { maxEvents: BATCH, now: Date.now(), maxFutureMs: 1e9, maxPastMs: 1e9 };
  const time = (fn: () => void, rounds = 200) => {
    fn();
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) fn();
    return ((performance.now() - t0) * 1000) / rounds / BATCH; // µs per event
  };
  const parsedBody = JSON.parse(body) as unknown;
  const jsonParse = time(() => JSON.parse(body));
  const validate = time(() => parseEvents(parsedBody, options));
  const file = join(dir, 'fsync.db');
  openDb(`file:${file}`).close();
  const conn = openWriterConnection(file);
  const stmt = conn.prepare("INSERT INTO track_events VALUES ('e', ?, ?, 'u', 'x', NULL, NULL, 'k', 0)");
  let n = 0;
  const t0 = performance.now();
  for (; n < 200; n++) stmt.run(`id${n}`, n);
  const commitMs = (performance.now() - t0) / n;
  conn.close();
  return { jsonParse, validate, commitMs };
}

const http = await overHttp(true);
const httpLoop = await overHttp(false);
const total = rows(Math.ceil(300_000 / BATCH));
const raw1 = raw(1, total);
const rawGroup = raw(SENDERS, total);
const cost = breakdown();
rmSync(dir, { recursive: true, force: true });

console.log(
  `event ingestion: ${SENDERS} senders × batches of ${BATCH} over HTTP for ${SECONDS} s (after ${WARMUP_MS / 1000} s warm-up)`,
);
for (const [label, run] of [
  ['writer thread', http],
  ['writer on event loop', httpLoop],
] as const) {
  console.log(`  HTTP, durable, ${label}:`);
  console.log(
    `    ${fmt(run.rate)} events/s   p50 ${run.p50.toFixed(1)} ms   p99 ${run.p99.toFixed(1)} ms   (${fmt(run.requests)} requests, ${run.refused} refused with 429/503 and resent)`,
  );
  console.log(
    `    server CPU ${run.serverCpuPerEvent.toFixed(1)} µs per event (${run.serverCores.toFixed(2)} cores busy); load generator ${run.clientCpuPerEvent.toFixed(1)} µs per event`,
  );
  console.log(
    `    ${fmt(run.acknowledged)} events acknowledged, ${fmt(run.stored)} in the database after SIGTERM (exit ${run.exitCode})`,
  );
}
console.log(`  raw better-sqlite3, same schema, synchronous=FULL, WAL:`);
console.log(
  `    ${BATCH} events per transaction:        ${fmt(raw1)} events/s   HTTP/raw = ${(http.rate / raw1).toFixed(2)}`,
);
console.log(
  `    ${SENDERS * BATCH} events per transaction:       ${fmt(rawGroup)} events/s   HTTP/raw = ${(http.rate / rawGroup).toFixed(2)}`,
);
console.log(
  `  per event: JSON.parse ${cost.jsonParse.toFixed(2)} µs, validation ${cost.validate.toFixed(2)} µs, SQLite insert ${(1e6 / rawGroup).toFixed(2)} µs (raw, grouped); one durable commit ${cost.commitMs.toFixed(2)} ms`,
);
const cores = (await import('node:os')).cpus().length;
console.log(
  `  machine: ${cores} cores, load average ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (other processes share these cores)`,
);
if (http.stored < http.acknowledged || httpLoop.stored < httpLoop.acknowledged) {
  console.error('LOST ACKNOWLEDGED EVENTS');
  process.exit(1);
}
