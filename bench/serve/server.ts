// The servers the serve benchmark loads, each in its own process: `flagstaff` (the real app on a
// file database with 200 realistic flags) or `bare` (a bare Hono app on the same node server,
// answering with the same bytes and the same ETag logic — the floor of the stack).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemActor } from '../../src/audit/actor.ts';
import { createApp } from '../../src/app.ts';
import { openDb } from '../../src/db/open-db.ts';
import { seedFirstStart } from '../../src/seed.ts';
import { createServices } from '../../src/services.ts';
import { seedFlags } from './seed-flags.ts';

const mode = process.argv[2];

if (mode === 'bare') {
  const body = readFileSync(process.argv[3]!, 'utf8');
  const etag = process.argv[4]!;
  const app = new Hono();
  app.get('/sdk/v1/ruleset', (c) => {
    c.header('ETag', etag);
    c.header('Cache-Control', 'no-cache');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    c.header('Content-Type', 'application/json; charset=utf-8');
    return c.body(body, 200);
  });
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
    process.stdout.write(JSON.stringify({ port: info.port }) + '\n'),
  );
} else {
  const db = openDb(`file:${join(mkdtempSync(join(tmpdir(), 'flagstaff-bench-')), 'bench.db')}`);
  const config = { FLAGSTAFF_ADMIN_KEY: 'bench-admin-key-0123456789abcdefghijklmnop' };
  const services = createServices({ db, config });
  await seedFirstStart(services);
  await seedFlags(services, 200);
  const { secret } = await services.keys.create(
    { kind: 'server', environment: 'production', name: 'bench' },
    systemActor,
  );
  const app = createApp({ db, config });
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
    process.stdout.write(
      JSON.stringify({ port: info.port, key: secret, adminKey: config.FLAGSTAFF_ADMIN_KEY }) + '\n',
    ),
  );
}
process.on('SIGINT', () => process.exit(0));
