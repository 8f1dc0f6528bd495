// The soak (issue 13, point 9): the real service in its own process on 127.0.0.1 and a temporary
// database, under steady mixed traffic for SOAK_SECONDS (default 180, at most 3600): ruleset GETs
// with and without ETag, SOAK_SSE_CLIENTS (default 1,000) open SSE streams, event batches,
// experiment results reads and a flag change per second. It samples the server's RSS every second
// and prints, per kind, throughput, p50/p99 latency and errors, the peak RSS and a memory-growth
// check: the median RSS of the last third of the run against the middle third. Exit code 1 when
// any 5xx or network error occurred, streams were lost, or memory grew more than SOAK_MAX_GROWTH
// (default 10%, and at least 16 MiB, to ignore allocator noise). The server logs at info (every
// request), as in production.
//   npm run soak                  SOAK_SECONDS=120 npm run soak
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBatch, SPAWN_ADMIN_KEY, spawnServer, type SpawnedServer } from '../tests/events/spawn-server.ts';

const seconds = Math.min(3600, Math.max(10, Number(process.env.SOAK_SECONDS ?? 180)));
const sseClients = Math.max(0, Number(process.env.SOAK_SSE_CLIENTS ?? 1000));
const maxGrowth = Number(process.env.SOAK_MAX_GROWTH ?? 0.1);
/** Requests per second of each kind; an event batch holds 100 events. */
const rates = { ruleset: 200, rulesetEtag: 200, events: 20, results: 2, flagChange: 1 };
const BATCH = 100;

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
let port = 0;

function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
  retried = false,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed as idle just as it was reused: the request never
      // reached the server; resend it once, as Node's documentation advises.
      if (req.reusedSocket && error.code === 'ECONNRESET' && !retried)
        resolve(call(method, path, headers, body, true));
      else reject(error);
    });
    req.end(body);
  });
}

const admin = { authorization: `Bearer ${SPAWN_ADMIN_KEY}` };
async function must(method: string, path: string, body?: unknown, headers = admin): Promise<Answer> {
  const res = await call(method, path, headers, body === undefined ? undefined : JSON.stringify(body));
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
  return res;
}

// --- measurements ---------------------------------------------------------------------------
interface Kind {
  latencies: number[];
  ok: number;
  status4xx: number;
  status5xx: number;
  network: number;
  statuses: Map<number, number>;
}
const kinds = new Map<string, Kind>();
const networkErrors = new Map<string, number>();
function record(name: string, ms: number, status: number): void {
  let kind = kinds.get(name);
  if (!kind) {
    kind = { latencies: [], ok: 0, status4xx: 0, status5xx: 0, network: 0, statuses: new Map() };
    kinds.set(name, kind);
  }
  kind.latencies.push(ms);
  kind.statuses.set(status, (kind.statuses.get(status) ?? 0) + 1);
  if (status === 0) kind.network++;
  else if (status >= 500) kind.status5xx++;
  else if (status >= 400 && status !== 429) kind.status4xx++;
  else kind.ok++;
}

async function timed(
  name: string,
  run: () => Promise<Answer>,
  expected: number[],
): Promise<Answer | undefined> {
  const start = performance.now();
  try {
    const res = await run();
    record(name, performance.now() - start, res.status);
    if (!expected.includes(res.status) && res.status < 500)
      console.error(`${name}: unexpected ${res.status} ${res.body.slice(0, 200)}`);
    return res;
  } catch (error) {
    record(name, performance.now() - start, 0);
    networkErrors.set(String(error), (networkErrors.get(String(error)) ?? 0) + 1);
    return undefined;
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const median = (values: number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** Runs `fn` `perSecond` times a second (spread evenly), without waiting for answers, until `end`. */
function steady(perSecond: number, end: number, fn: (n: number) => Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const inFlight = new Set<Promise<unknown>>();
    const start = Date.now();
    let n = 0;
    const tick = () => {
      const due = Math.floor(((Date.now() - start) / 1000) * perSecond);
      // At most 256 in flight per kind: a slow server sees a backlog, not an avalanche.
      while (n < due && inFlight.size < 256) {
        const p = fn(n++).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      if (Date.now() < end) setTimeout(tick, Math.max(1, Math.min(50, 1000 / perSecond)));
      else void Promise.allSettled([...inFlight]).then(() => resolve());
    };
    tick();
  });
}

// --- SSE clients ----------------------------------------------------------------------------
interface Streams {
  open: number;
  lost: number;
  failed: number;
  rulesets: number;
  close(): void;
}
function openStreams(count: number, secret: string): Promise<Streams> {
  const streamAgent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const state: Streams = { open: 0, lost: 0, failed: 0, rulesets: 0, close: () => streamAgent.destroy() };
  let closing = false;
  state.close = () => {
    closing = true;
    streamAgent.destroy();
  };
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request(
        { host: '127.0.0.1', port, path: `/sdk/v1/stream?key=${secret}`, agent: streamAgent },
        (res) => {
          if (res.statusCode !== 200) {
            state.failed++;
            res.resume();
            resolve();
            return;
          }
          state.open++;
          resolve();
          res.setEncoding('utf8');
          let tail = '';
          res.on('data', (chunk: string) => {
            const text = tail + chunk;
            let at = -1;
            while ((at = text.indexOf('event: ruleset', at + 1)) >= 0) state.rulesets++;
            tail = text.slice(-16);
          });
          res.on('close', () => {
            state.open--;
            if (!closing) state.lost++;
          });
        },
      );
      req.on('error', () => {
        state.failed++;
        resolve();
      });
      req.end();
    });
  return (async () => {
    for (let i = 0; i < count; i += 50)
      await Promise.all(Array.from({ length: Math.min(50, count - i) }, one));
    return state;
  })();
}

// --- the run --------------------------------------------------------------------------------
async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'flagstaff-soak-'));
  let server: SpawnedServer | undefined;
  try {
    server = await spawnServer(join(dir, 'soak.db'), {
      EVENTS_RATE_LIMIT_PER_SECOND: '1000000',
      SSE_HEARTBEAT_SECONDS: '15',
      ANALYSIS_REFRESH_MINUTES: '1',
      ANALYSIS_REFRESH_MIN_AGE_SECONDS: '5',
    });
    port = server.port;
    const pid = server.child.pid!;
    console.log(`soak: ${seconds} s, ${sseClients} SSE clients, server pid ${pid} on 127.0.0.1:${port}`);

    // Keys, flags, a metric and a running experiment, through the API.
    const key = JSON.parse(
      (await must('POST', '/api/v1/keys', { kind: 'server', environment: 'production', name: 'soak' })).body,
    ) as { key: string };
    const sdk = { authorization: `Bearer ${key.key}` };
    for (let i = 0; i < 20; i++)
      await must('POST', '/api/v1/flags', { key: `soak-${i}`, valueType: 'string', defaultValue: `v${i}` });
    await must('POST', '/api/v1/flags', { key: 'toggle', valueType: 'boolean', defaultValue: false });
    await must('POST', '/api/v1/flags', { key: 'exp-0', valueType: 'boolean', defaultValue: false });
    await must('POST', '/api/v1/metrics', {
      key: 'event-0',
      name: 'Event 0',
      kind: 'mean',
      eventName: 'event-0',
      windowHours: 72,
    });
    await must('POST', '/api/v1/experiments', {
      key: 'exp-0',
      name: 'Soak experiment',
      flag: 'exp-0',
      environment: 'production',
      variations: [
        { key: 'control', value: false, weight: 0.5 },
        { key: 'treatment', value: true, weight: 0.5 },
      ],
      goalMetrics: ['event-0'],
    });
    await must('POST', '/api/v1/experiments/exp-0/start');

    const streams = await openStreams(sseClients, key.key);
    console.log(`soak: ${streams.open} streams open (${streams.failed} failed)`);

    const rss: number[] = [];
    const sampler = setInterval(() => {
      try {
        rss.push(rssOf(pid));
      } catch {
        /* the process is gone: the run fails below */
      }
    }, 1000);

    const started = Date.now();
    const end = started + seconds * 1000;
    let etag = '';
    let flagChanges = 0;
    const progress = setInterval(() => {
      const elapsed = Math.round((Date.now() - started) / 1000);
      const last = rss.at(-1) ?? NaN;
      console.log(`  ${elapsed}s rss ${(last / 2 ** 20).toFixed(0)} MiB, streams ${streams.open}`);
    }, 30_000);
    await Promise.all([
      steady(rates.ruleset, end, () => timed('ruleset', () => call('GET', '/sdk/v1/ruleset', sdk), [200])),
      steady(rates.rulesetEtag, end, async () => {
        const res = await timed(
          'ruleset (ETag)',
          () => call('GET', '/sdk/v1/ruleset', etag ? { ...sdk, 'if-none-match': etag } : sdk),
          [200, 304],
        );
        if (res?.status === 200) etag = String(res.headers.etag ?? '');
      }),
      steady(rates.events, end, (n) =>
        timed(
          'events (100/batch)',
          () => call('POST', '/sdk/v1/events', sdk, makeBatch('soak', n, BATCH)),
          [202],
        ),
      ),
      steady(rates.results, end, () =>
        timed('results', () => call('GET', '/api/v1/experiments/exp-0/results', admin), [200]),
      ),
      steady(rates.flagChange, end, (n) =>
        timed(
          'flag change',
          async () => {
            const res = await call(
              'PATCH',
              '/api/v1/flags/toggle/environments/production',
              admin,
              JSON.stringify({ enabled: n % 2 === 0 }),
            );
            if (res.status === 200) flagChanges++;
            return res;
          },
          [200],
        ),
      ),
    ]);
    const elapsed = (Date.now() - started) / 1000;
    clearInterval(sampler);
    clearInterval(progress);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the last changes reach the streams
    const streamsOpen = streams.open;
    const rulesetsPerStream = streams.rulesets / Math.max(1, sseClients);
    streams.close();

    // --- report --------------------------------------------------------------------------
    console.log(`\nsoak: ${elapsed.toFixed(0)} s of traffic`);
    console.log('kind                 req/s    p50 ms   p99 ms   max ms   2xx/3xx  4xx  5xx  net  statuses');
    let failures = 0;
    for (const [name, kind] of kinds) {
      const sorted = [...kind.latencies].sort((a, b) => a - b);
      failures += kind.status5xx + kind.network;
      const statuses = [...kind.statuses].map(([s, n]) => `${s}:${n}`).join(' ');
      console.log(
        `${name.padEnd(20)} ${(kind.latencies.length / elapsed).toFixed(1).padStart(6)} ${quantile(
          sorted,
          0.5,
        )
          .toFixed(1)
          .padStart(9)} ${quantile(sorted, 0.99).toFixed(1).padStart(8)} ${(sorted.at(-1) ?? NaN)
          .toFixed(1)
          .padStart(8)} ${String(kind.ok).padStart(9)} ${String(kind.status4xx).padStart(4)} ${String(
          kind.status5xx,
        ).padStart(4)} ${String(kind.network).padStart(4)}  ${statuses}`,
      );
    }
    for (const [message, n] of networkErrors) console.log(`network error ×${n}: ${message}`);
    const events = kinds.get('events (100/batch)');
    console.log(
      `events acknowledged: ${(((events?.statuses.get(202) ?? 0) * BATCH) / elapsed).toFixed(0)}/s`,
    );
    console.log(
      `SSE: ${streamsOpen}/${sseClients} open at the end, ${streams.lost} lost, ${streams.failed} failed to open; ` +
        `${rulesetsPerStream.toFixed(1)} ruleset events per stream for ${flagChanges} flag changes`,
    );
    const third = Math.floor(rss.length / 3);
    const middle = median(rss.slice(third, 2 * third));
    const last = median(rss.slice(2 * third));
    const peak = Math.max(...rss);
    const growth = (last - middle) / middle;
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    console.log(
      `server RSS: start ${mib(rss[0] ?? NaN)}, peak ${mib(peak)}; median middle third ${mib(middle)}, ` +
        `last third ${mib(last)} (${(growth * 100).toFixed(1)}%; limit ${(maxGrowth * 100).toFixed(0)}% and 16 MiB)`,
    );
    const grew = growth > maxGrowth && last - middle > 16 * 2 ** 20;
    const problems = [
      failures > 0 && `${failures} 5xx or network errors`,
      streams.lost + streams.failed > 0 && `${streams.lost + streams.failed} streams lost or refused`,
      grew && 'memory grew',
      !(rss.length > 3) && 'no RSS samples',
    ].filter(Boolean);
    console.log(problems.length === 0 ? 'soak: PASS' : `soak: FAIL (${problems.join('; ')})`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    agent.destroy();
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      const code = await Promise.race([
        server.exited,
        new Promise((r) => setTimeout(() => r('timeout'), 15_000)),
      ]);
      if (code !== 0) console.log(`server exit: ${String(code)}\n${server.output().slice(-2000)}`);
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exit(await main());
