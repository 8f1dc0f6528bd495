// An app for the event tests: like tests/helpers/test-app.ts, but with the event writer and the
// lifecycle in the test's hands, on an in-memory database or (file: true) a database file, where
// the writer has its own connection as in production.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemActor } from '../../src/audit/actor.ts';
import { createApp } from '../../src/app.ts';
import type { Clock } from '../../src/clock.ts';
import { openDb } from '../../src/db/open-db.ts';
import { parseEnv, type Env } from '../../src/env.ts';
import { createEventWriter } from '../../src/events/events-service.ts';
import { Lifecycle } from '../../src/lifecycle.ts';
import { createLogger } from '../../src/logger.ts';
import { seedFirstStart } from '../../src/seed.ts';
import { createServices } from '../../src/services.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';

export interface EventsAppOptions {
  file?: boolean;
  /** With `file`: the folder to put the database in (kept), instead of a fresh temporary one. */
  dir?: string;
  clock?: Clock;
}

export async function makeEventsApp(config: Partial<Env> = {}, options: EventsAppOptions = {}) {
  const own = options.file && !options.dir;
  const dir = options.file ? (options.dir ?? mkdtempSync(join(tmpdir(), 'flagstaff-events-'))) : undefined;
  const db = openDb(dir ? `file:${join(dir, 'events.db')}` : ':memory:');
  const fullConfig: Partial<Env> = { FLAGSTAFF_ADMIN_KEY: ADMIN_KEY, ...config };
  const services = createServices({ db, config: fullConfig, clock: options.clock });
  await seedFirstStart(services);
  const lifecycle = new Lifecycle();
  const writer = createEventWriter(db, { ...parseEnv({}), ...fullConfig }, createLogger('silent'));
  const app = createApp({ db, config: fullConfig, lifecycle, eventWriter: writer, clock: options.clock });

  async function post(auth: string | undefined, body: unknown, headers: Record<string, string> = {}) {
    const response = await app.request('/sdk/v1/events', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  async function key(kind: 'client' | 'server' | 'admin', environment = 'production') {
    const { apiKey, secret } = await services.keys.create(
      kind === 'admin' ? { kind, name: `test ${kind}` } : { kind, environment, name: `test ${kind}` },
      systemActor,
    );
    const stored = await services.stores.keys.byId(apiKey.id);
    return { id: apiKey.id, secret, environmentId: stored!.environmentId };
  }

  const count = (table: string, where = '1 = 1', ...params: unknown[]) =>
    (db.sqlite.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get(...params) as { n: number })
      .n;

  async function close() {
    await lifecycle.close();
    db.close();
    if (dir && own) rmSync(dir, { recursive: true, force: true });
  }

  return { app, db, services, writer, lifecycle, post, key, count, close };
}

let seq = 0;
/** A fresh event id. */
export const newId = () => `evt-${process.pid}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

export const exposure = (
  unit: string,
  experiment: string,
  variation: string,
  extra: Record<string, unknown> = {},
) => ({
  type: 'exposure',
  id: newId(),
  ts: Date.now(),
  unit,
  experiment,
  variation,
  ...extra,
});

export const track = (unit: string, event: string, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  id: newId(),
  ts: Date.now(),
  unit,
  event,
  ...extra,
});
