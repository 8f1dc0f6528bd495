// SQL of event ingestion: one transaction per group commit, with statements prepared once. Raw
// better-sqlite3 rather than drizzle, because this runs per event at tens of thousands per second.
// Tables and indexes: src/db/schema.ts (events section); why: docs/decisions/0004-group-commit.md.
import BetterSqlite3 from 'better-sqlite3';
import type { ExposureRow, TrackRow } from './parse-events.ts';

/** The valid events of one request, with where they came from. */
export interface EventBatchRows {
  environmentId: string;
  keyId: string;
  /** Epoch ms the request arrived. */
  receivedAt: number;
  exposures: ExposureRow[];
  tracks: TrackRow[];
}

export interface WriteCounts {
  /** New events stored. */
  accepted: number;
  /** Events already stored (same ts, id and environment), skipped. */
  duplicates: number;
}

export interface EventStore {
  /** Stores every batch in one transaction; the counts per batch, in order. Throws on failure. */
  writeGroup(batches: readonly EventBatchRows[]): WriteCounts[];
  /** Deletes up to `limit` raw events (each table) older than `before` (epoch ms); how many went. */
  deleteOlderThan(before: number, limit: number): number;
  close(): void;
}

/**
 * Opens a connection for the writer. WAL lets it write next to the main connection (which reads
 * and makes management changes); synchronous=FULL makes every commit durable (fsync of the WAL)
 * before the writer acknowledges it. busy_timeout is 0: the writer runs on the event loop and must
 * never sleep waiting for a lock, it retries a little later instead.
 */
export function openWriterConnection(location: string): BetterSqlite3.Database {
  const sqlite = new BetterSqlite3(location);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 0');
  // Bigger checkpoints, less often: the WAL may grow to ~40 MB between them (it is reused after).
  sqlite.pragma('wal_autocheckpoint = 10000');
  sqlite.pragma('cache_size = -65536');
  return sqlite;
}

/**
 * The SQLite event store on `sqlite` (the writer's own connection, or the main one for an
 * in-memory database). `ownsConnection`: close() also closes the connection.
 */
export function sqliteEventStore(sqlite: BetterSqlite3.Database, ownsConnection: boolean): EventStore {
  const insertExposure = sqlite.prepare(
    `INSERT INTO exposures (environment_id, id, ts, unit, experiment, variation, flag, attributes, key_id, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  // The first exposure per (environment, experiment, unit): keeps the earliest time and its
  // variation, and flags a unit seen in another variation. The WHERE skips the write (and the
  // page it would dirty) for the common case: a later exposure to the same variation.
  const upsertUnit = sqlite.prepare(
    `INSERT INTO experiment_units (environment_id, experiment, unit, first_exposure_at, variation, multiple_variations)
     VALUES (?, ?, ?, ?, ?, 0)
     ON CONFLICT DO UPDATE SET
       multiple_variations = multiple_variations OR excluded.variation <> variation,
       variation = iif(excluded.first_exposure_at < first_exposure_at, excluded.variation, variation),
       first_exposure_at = min(first_exposure_at, excluded.first_exposure_at)
     WHERE excluded.first_exposure_at < first_exposure_at OR excluded.variation <> variation`,
  );
  const insertTrack = sqlite.prepare(
    `INSERT INTO track_events (environment_id, id, ts, unit, event, value, properties, key_id, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const deleteExposures = sqlite.prepare(
    `DELETE FROM exposures WHERE rowid IN (SELECT rowid FROM exposures WHERE ts < ? ORDER BY ts LIMIT ?)`,
  );
  const deleteTracks = sqlite.prepare(
    `DELETE FROM track_events WHERE rowid IN (SELECT rowid FROM track_events WHERE ts < ? ORDER BY ts LIMIT ?)`,
  );

  // Units whose first-exposure row a later exposure could not change: after an exposure
  // (variation v, time t) went through the upsert, another one with v at t or later is a no-op
  // (first time stays, the variation stays, and the multiple-variations flag is already what it
  // should be). Skipping those saves a b-tree search per repeated exposure. Only valid while
  // experiment_units rows are never deleted: code that deletes them must restart the writer.
  const known = new Map<string, { variation: string; ts: number }>();
  const knownLimit = 200_000;

  const writeOne = (batch: EventBatchRows): WriteCounts => {
    const { environmentId: env, keyId, receivedAt } = batch;
    let accepted = 0;
    let duplicates = 0;
    for (const e of batch.exposures) {
      const { changes } = insertExposure.run(
        env,
        e.id,
        e.ts,
        e.unit,
        e.experiment,
        e.variation,
        e.flag,
        e.attributes,
        keyId,
        receivedAt,
      );
      if (changes === 0) {
        duplicates++;
        continue;
      }
      accepted++;
      const unitKey = `${env}\u0000${e.experiment}\u0000${e.unit}`;
      const seen = known.get(unitKey);
      if (seen !== undefined && seen.variation === e.variation && e.ts >= seen.ts) continue;
      upsertUnit.run(env, e.experiment, e.unit, e.ts, e.variation);
      if (known.size >= knownLimit) known.clear();
      known.set(unitKey, { variation: e.variation, ts: e.ts });
    }
    for (const t of batch.tracks) {
      const { changes } = insertTrack.run(
        env,
        t.id,
        t.ts,
        t.unit,
        t.event,
        t.value,
        t.properties,
        keyId,
        receivedAt,
      );
      if (changes === 0) duplicates++;
      else accepted++;
    }
    return { accepted, duplicates };
  };

  // BEGIN IMMEDIATE: take the write lock up front, so a busy database fails before any work.
  const writeGroup = sqlite.transaction((batches: readonly EventBatchRows[]) => batches.map(writeOne));
  const deleteOld = sqlite.transaction(
    (before: number, limit: number) =>
      deleteExposures.run(before, limit).changes + deleteTracks.run(before, limit).changes,
  );

  return {
    writeGroup(batches) {
      try {
        return writeGroup.immediate(batches);
      } catch (error) {
        known.clear(); // it may hold exposures of the transaction that rolled back
        throw error;
      }
    },
    deleteOlderThan: (before, limit) => deleteOld.immediate(before, limit),
    close() {
      if (ownsConnection && sqlite.open) sqlite.close();
    },
  };
}
