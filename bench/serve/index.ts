// bench/serve: GET /sdk/v1/ruleset (200 flags), with and without If-None-Match, against a bare Hono
// app serving the same bytes on the same node server, measured with autocannon in one run; then
// the time from a flag change to its arrival at 1,000 connected SSE clients, and their memory.
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, get, type ClientRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const DURATION = Number(process.env.BENCH_SECONDS ?? 4);
// On a small shared machine one pair of runs can land on a busy moment for either side: rounds
// alternate the two servers, and the ratio reported is the median of the rounds' ratios.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// Several changes, one after another, so the arrival percentiles rest on more than one moment.
const CHANGES = Number(process.env.BENCH_SSE_CHANGES ?? 5);
const CONNECTIONS = 32;
const SSE_CLIENTS = Number(process.env.BENCH_SSE_CLIENTS ?? 1000);

interface Started {
  child: ChildProcess;
  info: { port: number; key?: string; adminKey?: string };
}

const children: ChildProcess[] = [];
// Servers die with the benchmark, however it ends.
process.on('exit', () => children.forEach((child) => child.kill()));

function start(args: string[]): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=flagstaff-source', join(here, 'server.ts'), ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) resolve({ child, info: JSON.parse(line) });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

async function load(port: number, headers: Record<string, string>) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/sdk/v1/ruleset`,
    connections: CONNECTIONS,
    duration: DURATION,
    headers,
  });
  const non2xx = result.non2xx - (headers['if-none-match'] ? result.requests.total : 0);
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + Math.max(0, non2xx),
  };
}

const rssOf = async (pid: number) => {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
};

const ours = await start(['flagstaff']);
const auth = { authorization: `Bearer ${ours.info.key}` };
const first = await fetch(`http://127.0.0.1:${ours.info.port}/sdk/v1/ruleset`, { headers: auth });
const body = await first.text();
const etag = first.headers.get('etag')!;
const bodyFile = join(mkdtempSync(join(tmpdir(), 'flagstaff-bench-')), 'ruleset.json');
writeFileSync(bodyFile, body);
const bare = await start(['bare', bodyFile, etag]);
console.log(
  `ruleset: ${Object.keys(JSON.parse(body).features).length} flags, ${(body.length / 1024).toFixed(1)} KiB; ${CONNECTIONS} connections, ${DURATION} s per run, ${ROUNDS} alternating rounds`,
);

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
// Warm both up, then alternate so that neither gets a systematically cooler machine.
await load(ours.info.port, auth);
await load(bare.info.port, {});
const cases: { name: string; ours: Record<string, string>; bare: Record<string, string> }[] = [
  { name: '200 (full body)', ours: auth, bare: {} },
  { name: '304 (If-None-Match)', ours: { ...auth, 'if-none-match': etag }, bare: { 'if-none-match': etag } },
];
console.log(
  '\ncase                 | flagstaff req/s | p99 ms | bare hono req/s | p99 ms | ratio per round  | median ratio (target >= 0.8)',
);
for (const c of cases) {
  const a: Awaited<ReturnType<typeof load>>[] = [];
  const b: typeof a = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Who goes first alternates too.
    const oursFirst = round % 2 === 0;
    const x = oursFirst ? await load(ours.info.port, c.ours) : await load(bare.info.port, c.bare);
    const y = oursFirst ? await load(bare.info.port, c.bare) : await load(ours.info.port, c.ours);
    a.push(oursFirst ? x : y);
    b.push(oursFirst ? y : x);
  }
  const ratios = a.map((x, i) => x.rps / b[i]!.rps);
  const errors = [...a, ...b].reduce((n, x) => n + x.errors, 0);
  console.log(
    `${c.name.padEnd(20)} | ${median(a.map((x) => x.rps))
      .toFixed(0)
      .padStart(15)} | ${String(median(a.map((x) => x.p99))).padStart(6)} | ${median(b.map((x) => x.rps))
      .toFixed(0)
      .padStart(15)} | ${String(median(b.map((x) => x.p99))).padStart(6)} | ${ratios
      .map((r) => r.toFixed(2))
      .join(' ')
      .padEnd(16)} | ${median(ratios).toFixed(2)}x${errors > 0 ? `  (errors: ${errors})` : ''}`,
  );
}
bare.child.kill();

// SSE fan-out: 1,000 clients, one flag change, arrival time at each.
const base = `http://127.0.0.1:${ours.info.port}`;
const rssBefore = await rssOf(ours.child.pid!);
const arrivals: number[] = [];
let changeAt = 0;
let target = Infinity;
const requests: ClientRequest[] = [];
let connected = 0;
// node:http (llhttp, in C) rather than fetch: 1,000 fetch streams parsing 60 MiB would measure this
// process, not the server. Events are found in the raw bytes (`id: N` ... up to a blank line).
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
await Promise.all(
  Array.from(
    { length: SSE_CLIENTS },
    () =>
      new Promise<void>((resolve, reject) => {
        const req = get(`${base}/sdk/v1/stream?patches=1`, { headers: auth, agent }, (res) => {
          connected++;
          resolve();
          let atStart = true;
          let wanted = false;
          res.on('data', (bytes: Buffer) => {
            let pos = 0;
            while (pos < bytes.length) {
              if (atStart && bytes.toString('latin1', pos, pos + 4) === 'id: ') {
                wanted = Number(bytes.toString('latin1', pos + 4, bytes.indexOf('\n', pos))) >= target;
              }
              const end = bytes.indexOf('\n\n', pos);
              if (end < 0) {
                atStart = false;
                break;
              }
              if (wanted) arrivals.push(performance.now() - changeAt);
              wanted = false;
              atStart = true;
              pos = end + 2;
            }
          });
          res.on('error', () => undefined);
        });
        req.on('error', reject);
        requests.push(req);
      }),
  ),
);
await new Promise((resolve) => setTimeout(resolve, 500));
const rssConnected = await rssOf(ours.child.pid!);
const admin = { authorization: `Bearer ${ours.info.adminKey}`, 'content-type': 'application/json' };
const perChange: number[] = [];
for (let change = 0; change < CHANGES; change++) {
  const config = await (
    await fetch(`${base}/api/v1/flags/flag-000/environments/production`, { headers: admin })
  ).json();
  const envs = await (await fetch(`${base}/api/v1/environments`, { headers: admin })).json();
  const before = arrivals.length;
  target = envs.items.find((e: { key: string }) => e.key === 'production').revision + 1;
  changeAt = performance.now();
  const patched = await fetch(`${base}/api/v1/flags/flag-000/environments/production`, {
    method: 'PATCH',
    headers: admin,
    body: JSON.stringify({ enabled: !config.enabled }),
  });
  if (!patched.ok) throw new Error(`the flag change failed: ${patched.status} ${await patched.text()}`);
  const deadline = Date.now() + 10_000;
  while (arrivals.length < before + connected && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 5));
  if (arrivals.length === before) throw new Error('no client saw the change');
  perChange.push(arrivals.length - before);
  await new Promise((resolve) => setTimeout(resolve, 200));
}
arrivals.sort((a, b) => a - b);
const pct = (p: number) => arrivals[Math.min(arrivals.length - 1, Math.floor((p / 100) * arrivals.length))]!;
console.log(
  `\nSSE fan-out: ${CHANGES} changes, each to ${connected} streams (${perChange.join('/')} got them); from the PATCH being sent, over all ${arrivals.length} arrivals: first ${arrivals[0]!.toFixed(1)} ms, median ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${arrivals[arrivals.length - 1]!.toFixed(1)} ms (target p99 < 100 ms)`,
);
console.log(
  `memory: ${((rssConnected - rssBefore) / SSE_CLIENTS / 1024).toFixed(1)} KiB RSS per idle stream (${(rssBefore / 1048576).toFixed(0)} -> ${(rssConnected / 1048576).toFixed(0)} MiB for ${connected})`,
);
for (const req of requests) req.destroy();
ours.child.kill();
process.exit(0);
