// Entry: env → db → seed → app → serve; graceful shutdown on SIGTERM/SIGINT.
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { openDb } from './db/open-db.ts';
import { loadEnv } from './env.ts';
import { Lifecycle } from './lifecycle.ts';
import { createLogger } from './logger.ts';
import { reportSeeding, seedFirstStart, signInBanner } from './seed.ts';
import { createServices } from './services.ts';

const config = loadEnv();
const logger = createLogger(config.LOG_LEVEL);
const db = openDb(config.DATABASE_URL);
const lifecycle = new Lifecycle();
const services = createServices({ db, config, logger, lifecycle });
const seeded = await seedFirstStart(services);
const passwordFile = await reportSeeding(seeded, config, logger);
const app = createApp({ db, services, processMetrics: true });
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  const shownHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const baseUrl = `http://${shownHost}:${info.port}`;
  logger.info(
    { port: info.port, host: config.HOST, database: db.location },
    `Flagstaff listening on ${baseUrl}`,
  );
  if (seeded.admin) process.stdout.write(signInBanner(baseUrl, seeded.admin, passwordFile) + '\n');
});

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
  const force = setTimeout(() => {
    logger.warn('in-flight requests did not finish in time; exiting anyway');
    db.close();
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_SECONDS * 1000);
  force.unref();
  // close() stops accepting and waits for open requests. Keep-alive sockets are closed as soon as
  // they fall idle, so that a client's finished request does not hold the exit for its timeout.
  const sweep = setInterval(() => 'closeIdleConnections' in server && server.closeIdleConnections(), 50);
  sweep.unref();
  server.close(async () => {
    await lifecycle.close();
    db.close();
    logger.info('stopped');
    process.exit(0);
  });
  // Long-lived SDK streams end now, or server.close() would wait for them.
  void lifecycle.stopping();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
