// `npm start` as a process manager or a container runs it: SIGTERM goes to the process npm created,
// and must reach the server (npm → sh → node: the script execs node on the compiled build). The port
// closes and every event acknowledged before the signal is in the database.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'flagstaff-npm-start-'));
const adminKey = 'npm-start-test-admin-key-0123456789abcdef';
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('SIGTERM to the `npm start` process stops the server: port closed, acknowledged events stored', async () => {
  const database = join(dir, 'flagstaff.db');
  const npm = spawn('npm', ['start'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `file:${database}`,
      FLAGSTAFF_ADMIN_KEY: adminKey,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  npm.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => npm.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${stdout}`)), 50_000);
    npm.stdout!.on('data', () => {
      const match = /"port":(\d+)/.exec(stdout);
      if (match && stdout.includes('API reference')) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const created = await fetch(`${base}/api/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'server', environment: 'production', name: 'npm start test' }),
  });
  expect(created.status).toBe(201);
  const { key } = (await created.json()) as { key: string };
  const batch = (k: number) =>
    fetch(`${base}/sdk/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events: Array.from({ length: 500 }, (_, i) => ({
          type: 'track',
          id: `e-${k}-${i}`,
          ts: Date.now(),
          unit: `u${i}`,
          event: 'purchase',
          value: 1,
        })),
      }),
    }).then(async (r) => (r.status === 202 ? ((await r.json()) as { accepted: number }).accepted : 0));

  const before = await Promise.all([batch(0), batch(1), batch(2)]);
  expect(before).toEqual([500, 500, 500]);
  // Batches still in flight when the signal lands: those acknowledged must be stored too.
  const racing = [batch(3), batch(4)].map((p) => p.catch(() => 0));
  npm.kill('SIGTERM');
  const acknowledged =
    before.reduce((s, n) => s + n, 0) + (await Promise.all(racing)).reduce((s, n) => s + n, 0);
  expect(await exit).toBe(0);
  await expect(fetch(`${base}/health`)).rejects.toThrow();
  expect(stdout).toMatch(/"signal":"SIGTERM"/);
  expect(stdout).toMatch(/"msg":"stopped"/);

  const db = new BetterSqlite3(database, { readonly: true });
  const stored = (db.prepare('SELECT count(*) AS n FROM track_events').get() as { n: number }).n;
  db.close();
  expect(stored).toBeGreaterThanOrEqual(acknowledged);
}, 90_000);
