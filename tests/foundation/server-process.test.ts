// The service as a user runs it: a real process, a real port, a database file, and SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let child: ChildProcess;
let port = 0;
let stdout = '';
let dir: string;
const METRICS_TOKEN = 'metrics-scraper-token-0123456789abcdefghij';
const exited = () => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flagstaff-server-'));
  child = spawn(process.execPath, ['--import', 'tsx', '--conditions=flagstaff-source', 'src/index.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `file:${join(dir, 'data', 'flagstaff.db')}`,
      LOG_LEVEL: 'info',
      METRICS_TOKEN,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${stdout}`)), 20_000);
    child.stdout!.on('data', () => {
      const match = /"port":(\d+)/.exec(stdout);
      if (match && stdout.includes('API reference')) {
        port = Number(match[1]);
        clearTimeout(timer);
        resolve();
      }
    });
  });
});

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);

describe('the service process', () => {
  it('creates the database, and writes the generated admin password to an owner-only file, not stdout', async () => {
    expect(existsSync(join(dir, 'data', 'flagstaff.db'))).toBe(true);
    expect(stdout).toMatch(/email: +admin@flagstaff\.local/);
    const file = join(dir, 'data', 'admin-password.txt'); // beside the database by default
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = readFileSync(file, 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(stdout).not.toContain(password);
    expect(stdout).toContain(file);
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@flagstaff.local', password }),
    });
    expect(login.status).toBe(200);
  });

  it('serves /health, /ready, /metrics and the API reference without the internet', async () => {
    expect(await (await get('/health')).json()).toEqual({ status: 'ok' });
    expect((await get('/ready')).status).toBe(200);
    const docs = await (await get('/api/docs')).text();
    const sources = [...docs.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(1);
    for (const source of sources) {
      expect(source.startsWith('/')).toBe(true); // same origin, nothing from a CDN
      expect((await get(source)).status).toBe(200);
    }
    const spec = await (await get('/api/openapi.json')).json();
    expect(spec.paths['/api/v1/keys'].post).toBeDefined();
    expect((await get('/metrics')).status).toBe(401); // not public unless METRICS_PUBLIC is set
    const metrics = await (
      await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      })
    ).text();
    expect(metrics).toMatch(/flagstaff_http_requests_total\{method="GET",route="\/health",status="200"\} 1/);
    expect(metrics).toMatch(
      /flagstaff_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/health",status="200"\}/,
    );
    expect(metrics).toMatch(/flagstaff_process_resident_memory_bytes/);
  });

  it('finishes an in-flight request on SIGTERM, then exits 0 and closes the database', async () => {
    // A request whose body is still arriving when the signal comes.
    const [head, tail] = ['{"email":"admin@flagstaff.local",', '"password":"not the right one!"}'];
    const response = new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/auth/login',
          headers: {
            'content-type': 'application/json',
            'content-length': String(head.length + tail.length),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.write(head);
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(tail), 300);
      }, 200);
    });
    const exit = exited();
    expect(await response).toBe(401);
    expect(await exit).toBe(0);
    expect(existsSync(join(dir, 'data', 'flagstaff.db-wal'))).toBe(false); // closed cleanly: WAL checkpointed
    expect(stdout).toContain('"msg":"stopped"');
  });
});
