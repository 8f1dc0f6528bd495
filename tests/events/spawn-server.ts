// Starts the real service (`src/index.ts`) in a child process on a free port and a given database
// file, for the crash test and the ingestion benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import { request, Agent } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const SPAWN_ADMIN_KEY = 'spawned-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';

export interface SpawnedServer {
  child: ChildProcess;
  port: number;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string | null>;
  output(): string;
}

export async function spawnServer(
  databaseFile: string,
  env: Record<string, string> = {},
): Promise<SpawnedServer> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=flagstaff-source', 'src/index.ts'],
    {
      cwd: root,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: `file:${databaseFile}`,
        LOG_LEVEL: 'info',
        FLAGSTAFF_ADMIN_KEY: SPAWN_ADMIN_KEY,
        FLAGSTAFF_ADMIN_PASSWORD: 'correct horse battery staple',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  // Keep only the start of the output (the port line) and the tail; request logs are many.
  const keep = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(0, 20_000) + out.slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    const look = () => {
      const match = /"port":(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', look);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening: ${out}`));
    });
  });
  return { child, port, exited, output: () => out };
}

export interface PostResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A POST over a keep-alive agent (node:http: lighter than fetch for a load generator). */
export function post(
  agent: Agent,
  port: number,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
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
    req.on('error', reject);
    req.end(body);
  });
}

/** Creates an SDK key through the admin API; its secret. */
export async function createSdkKey(port: number, kind: 'client' | 'server' = 'server'): Promise<string> {
  const agent = new Agent();
  const res = await post(
    agent,
    port,
    '/api/v1/keys',
    JSON.stringify({ kind, environment: 'production', name: `load ${kind}` }),
    { authorization: `Bearer ${SPAWN_ADMIN_KEY}` },
  );
  agent.destroy();
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { key: string }).key;
}

/**
 * `{"events":[...]}` of `size` events with ids unique to `batch`: half exposures (5 experiments,
 * 2 variations), half track events (5 names, some with value and properties), over 100k units.
 */
export function makeBatch(prefix: string, batch: number, size: number, now = Date.now()): string {
  const parts: string[] = [];
  for (let i = 0; i < size; i++) {
    const n = batch * size + i;
    const unit = `u${(n * 7919) % 100_000}`;
    const id = `${prefix}-${batch}-${i}`;
    if (i % 2 === 0) {
      parts.push(
        `{"type":"exposure","id":"${id}","ts":${now},"unit":"${unit}","experiment":"exp-${n % 5}","variation":"${n % 3 === 0 ? 'treatment' : 'control'}","flag":"flag-${n % 5}","attributes":{"country":"FR","plan":"pro"}}`,
      );
    } else {
      parts.push(
        `{"type":"track","id":"${id}","ts":${now},"unit":"${unit}","event":"event-${n % 5}","value":${n % 100},"properties":{"sku":"a${n % 10}"}}`,
      );
    }
  }
  return `{"events":[${parts.join(',')}]}`;
}
