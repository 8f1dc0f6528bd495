// Event ingestion rules: per-key rate limit, per-event validation and clock-skew check, then the
// group-commit writer; the answer counts what was stored, what was a duplicate, what was refused.
import type { ApiKey } from '../auth/api-key-store.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import type { Env } from '../env.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { EventWriter } from './event-writer.ts';
import type { EventsAccepted } from './events-schemas.ts';
import { openWriterConnection, sqliteEventStore } from './events-store.ts';
import type { KeyRateLimiter } from './key-rate-limiter.ts';
import { parseEvents } from './parse-events.ts';
import { sameThreadStore, threadStore, type AsyncEventStore } from './writer-thread.ts';

export type EventsConfig = Pick<
  Env,
  | 'EVENTS_MAX_BATCH'
  | 'EVENTS_MAX_SKEW_HOURS'
  | 'EVENTS_MAX_AGE_DAYS'
  | 'EVENTS_QUEUE_LIMIT'
  | 'EVENTS_RETENTION_DAYS'
  | 'EVENTS_WRITER_THREAD'
  | 'EVENTS_MAX_PROPERTIES_BYTES'
  | 'MAX_JSON_DEPTH'
>;

/**
 * The writer for `db`. For a database file it writes on its own connection (WAL lets it write
 * beside the main one), on a worker thread unless EVENTS_WRITER_THREAD is off. An in-memory
 * database (tests) cannot be opened twice: there it shares the main connection, on this thread,
 * and waits whenever that connection is inside a management transaction.
 * @example const writer = createEventWriter(db, config, logger); lifecycle.onClose(() => writer.close());
 */
export function createEventWriter(db: Db, config: EventsConfig, logger: Logger): EventWriter {
  let store: AsyncEventStore;
  if (db.location === ':memory:') {
    store = sameThreadStore(
      () => sqliteEventStore(db.sqlite, false),
      () => db.sqlite.inTransaction,
    );
  } else if (config.EVENTS_WRITER_THREAD) {
    store = threadStore(db.location); // the thread starts with the first commit
  } else {
    store = sameThreadStore(() => sqliteEventStore(openWriterConnection(db.location), true));
  }
  return new EventWriter({
    store,
    queueLimit: config.EVENTS_QUEUE_LIMIT,
    retentionDays: config.EVENTS_RETENTION_DAYS,
    logger,
  });
}

export class EventsService {
  constructor(
    private readonly deps: {
      writer: EventWriter;
      limiter: KeyRateLimiter;
      clock: Clock;
      config: EventsConfig;
    },
  ) {}

  /** Throws 429 before the body is read when the key has used up its rate. */
  admit(key: ApiKey): void {
    this.deps.limiter.admit(key.id);
  }

  /**
   * Validates a parsed body and stores its valid events; resolves once they are durable.
   * @example await events.ingest(key, { events: [{ type: 'track', id, ts: Date.now(), unit: 'u1', event: 'buy' }] })
   */
  async ingest(key: ApiKey, body: unknown): Promise<EventsAccepted> {
    if (!key.environmentId) throw new AppError('forbidden', 'Events need an SDK key (client or server)');
    const { config, clock, limiter, writer } = this.deps;
    const now = clock.now().getTime();
    const parsed = parseEvents(body, {
      maxEvents: config.EVENTS_MAX_BATCH,
      now,
      maxFutureMs: config.EVENTS_MAX_SKEW_HOURS * 3_600_000,
      maxPastMs: config.EVENTS_MAX_AGE_DAYS * 86_400_000,
      maxDepth: config.MAX_JSON_DEPTH,
      maxPropertiesBytes: config.EVENTS_MAX_PROPERTIES_BYTES,
    });
    limiter.spend(key.id, parsed.exposures.length + parsed.tracks.length + parsed.rejected.length);
    const counts = await writer.submit({
      environmentId: key.environmentId,
      keyId: key.id,
      receivedAt: now,
      exposures: parsed.exposures,
      tracks: parsed.tracks,
    });
    return { accepted: counts.accepted, duplicates: counts.duplicates, rejected: parsed.rejected };
  }
}
