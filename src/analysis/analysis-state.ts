// Incremental analysis: every analysed unit's metric values are kept in SQLite between refreshes
// (`analysis_state_units_<id>`), so that a refresh reads only the events and exposures that arrived
// since the previous one (rowid watermarks) and then re-groups the kept values. A from-scratch pass
// costs ~27× a plain scan of the events; this costs what arrived plus one pass over the units.
// What forces a rebuild, and why the result equals a from-scratch one: docs/decisions/0005.
import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { AnalysisSpec } from './analysis-spec.ts';
import { ANALYSED_UNITS, AnalysisTables, DAY_MS, maxLookback, withSortThreads } from './sufficient-stats.ts';

interface StateRow {
  id: number;
  fingerprint: string;
  end_ms: number;
  track_rowid: number;
  exposure_rowid: number;
  track_min_ts: number | null;
  exposure_min_ts: number | null;
}

/** Where the event tables stand in the refresh's snapshot. */
interface Marks {
  trackRowid: number;
  exposureRowid: number;
  trackMinTs: number | null;
  exposureMinTs: number | null;
}

interface Plan {
  kind: 'rebuild' | 'delta';
  /** The state read (and to be updated), null when there was none. */
  state: StateRow | null;
  marks: Marks;
  names: string[];
}

const TEMP_TABLES = [
  'analysis_delta_events',
  'analysis_touched',
  'analysis_appear',
  'analysis_removed',
  'analysis_delta_values',
  'analysis_new_pending',
];

const unitsTable = (id: number) => `analysis_state_units_${id}`;

/** What the kept values depend on: any change to it (metrics, CUPED, phase) forces a rebuild. */
export function specFingerprint(spec: AnalysisSpec): string {
  const { environmentId, key, settings } = spec.experiment;
  const basis = {
    environmentId,
    key,
    phase: spec.phase.number,
    startedAt: spec.phase.startedAt.getTime(),
    cuped: settings.cuped,
    metrics: spec.metrics,
  };
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex');
}

/**
 * Runs `fn` on analysis tables made from the experiment's kept state, brought up to date first: by
 * the events that arrived since the last refresh, or rebuilt from scratch when the state is missing
 * or cannot be brought up to date exactly. The events are read in one read transaction, the state
 * written in a short write transaction after it (the writer's lock is not held while reading).
 */
export function withIncrementalTables<T>(
  sqlite: BetterSqlite3.Database,
  spec: AnalysisSpec,
  now: Date,
  fn: (tables: AnalysisTables) => T,
  options: { rebuild?: boolean } = {},
): T {
  const tables = new AnalysisTables(sqlite, spec, now);
  try {
    return withSortThreads(sqlite, () => {
      // Another refresh of the same experiment may write the state between the two transactions:
      // the plan is then made again from the state it left.
      for (let attempt = 0; attempt < 3; attempt++) {
        dropTemp(sqlite);
        const plan = sqlite.transaction(() => prepare(tables, options.rebuild ?? false))();
        if (sqlite.transaction(() => apply(tables, plan)).immediate()) return fn(tables);
      }
      throw new Error('analysis: the state kept changing during the refresh');
    });
  } finally {
    tables.drop();
    dropTemp(sqlite);
  }
}

function dropTemp(sqlite: BetterSqlite3.Database): void {
  for (const table of TEMP_TABLES) sqlite.exec(`DROP TABLE IF EXISTS temp.${table}`);
}

function readState(tables: AnalysisTables): StateRow | null {
  const { environmentId, key } = tables.spec.experiment;
  return (
    (tables.sqlite
      .prepare('SELECT * FROM analysis_states WHERE environment_id = ? AND experiment = ?')
      .get(environmentId, key) as StateRow | undefined) ?? null
  );
}

function readMarks(sqlite: BetterSqlite3.Database): Marks {
  return sqlite
    .prepare(
      `SELECT (SELECT coalesce(max(rowid), 0) FROM track_events) AS trackRowid,
              (SELECT coalesce(max(rowid), 0) FROM exposures) AS exposureRowid,
              (SELECT min(ts) FROM track_events) AS trackMinTs,
              (SELECT min(ts) FROM exposures) AS exposureMinTs`,
    )
    .get() as Marks;
}

/**
 * Whether rows the state counted may have been deleted since (retention deletes the oldest
 * events): the oldest event is newer than it was, and newer than the oldest one the analysis reads.
 */
function deletedSince(before: number | null, now: number | null, readFrom: number): boolean {
  return before !== null && (now === null || (now > before && now > readFrom));
}

/** In the read transaction: what to apply to the state, in temp tables. */
function prepare(tables: AnalysisTables, forceRebuild: boolean): Plan {
  const state = readState(tables);
  const marks = readMarks(tables.sqlite);
  tables.counts = tables.countUnits();
  const usable =
    !forceRebuild &&
    state !== null &&
    state.fingerprint === specFingerprint(tables.spec) &&
    tables.end >= state.end_ms &&
    !deletedSince(state.track_min_ts, marks.trackMinTs, tables.start - maxLookback(tables.spec)) &&
    !deletedSince(state.exposure_min_ts, marks.exposureMinTs, tables.start);
  if (usable) {
    const names = prepareDelta(tables, state, marks);
    if (names) return { kind: 'delta', state, marks, names };
  }
  const names = tables.buildUnits();
  const { where, params, events } = tables.eventFilter();
  createPendingTable(tables.sqlite);
  if (events.length > 0) {
    tables.sqlite
      .prepare(
        `INSERT INTO temp.analysis_new_pending
         SELECT t.unit, ${eventCode(events, params.add.bind(params))}, t.ts, coalesce(t.value, 1)
         FROM track_events t WHERE ${where} AND t.unit NOT IN (SELECT unit FROM temp.analysis_first)`,
      )
      .run(params.values);
  }
  return { kind: 'rebuild', state, marks, names };
}

function eventCode(events: string[], add: (value: string) => string): string {
  return `CASE t.event ${events.map((e, k) => `WHEN ${add(e)} THEN ${k}`).join(' ')} END`;
}

function createPendingTable(sqlite: BetterSqlite3.Database): void {
  sqlite.exec('CREATE TEMP TABLE analysis_new_pending (unit TEXT, event INTEGER, ts INTEGER, value REAL)');
}

/**
 * The changes since the state's watermarks, in temp tables: the units that became analysed, and
 * per unit the values of its new events. Null when they cannot be applied exactly: a unit already
 * analysed changed its first exposure or variation (its events before the watermark would count
 * differently and are not kept) — the caller rebuilds.
 */
function prepareDelta(tables: AnalysisTables, state: StateRow, marks: Marks): string[] | null {
  const { sqlite } = tables;
  const units = `main.${unitsTable(state.id)}`;
  const base = {
    ...tables.baseParams(),
    prevEnd: state.end_ms,
    twm: state.track_rowid,
    twmNew: marks.trackRowid,
    xwm: state.exposure_rowid,
    xwmNew: marks.exposureRowid,
  };
  sqlite.exec('CREATE TEMP TABLE analysis_touched (unit TEXT PRIMARY KEY) WITHOUT ROWID');
  // Units with a new exposure, and units whose exposure was past the previous end.
  sqlite
    .prepare(
      `INSERT OR IGNORE INTO temp.analysis_touched
       SELECT e.unit FROM exposures e NOT INDEXED
       WHERE e.rowid > @xwm AND e.rowid <= @xwmNew AND e.environment_id = @env AND e.experiment = @exp`,
    )
    .run(base);
  sqlite
    .prepare(
      `INSERT OR IGNORE INTO temp.analysis_touched
       SELECT e.unit FROM exposures e
       WHERE e.environment_id = @env AND e.experiment = @exp AND e.ts > @prevEnd AND e.ts <= @end`,
    )
    .run(base);
  // Seen in another variation or exposed before the phase: no longer analysed, dropped from the
  // state (their values are simply left out). An earlier first exposure in the phase changes which
  // of the unit's events count, and they are not kept: that needs a rebuild.
  const touchedInState = `temp.analysis_touched x JOIN ${units} s ON s.unit = x.unit
       LEFT JOIN experiment_units u ON u.environment_id = @env AND u.experiment = @exp AND u.unit = x.unit`;
  const { changed } = sqlite
    .prepare(
      `SELECT count(*) AS changed FROM ${touchedInState}
       WHERE ${ANALYSED_UNITS} AND (u.first_exposure_at <> s.f OR u.variation <> s.variation)`,
    )
    .get(base) as { changed: number };
  if (changed > 0) return null;
  sqlite.exec('CREATE TEMP TABLE analysis_removed (unit TEXT PRIMARY KEY) WITHOUT ROWID');
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_removed SELECT x.unit FROM ${touchedInState}
       WHERE u.unit IS NULL OR NOT (${ANALYSED_UNITS})`,
    )
    .run(base);
  sqlite.exec(
    'CREATE TEMP TABLE analysis_appear (unit TEXT PRIMARY KEY, variation TEXT, day INTEGER, f INTEGER, attrs TEXT) WITHOUT ROWID',
  );
  // A unit's attributes are those of its first exposure in the phase: the one at `f`.
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_appear
       SELECT x.unit, u.variation, CAST((u.first_exposure_at - @start) / ${DAY_MS} AS INTEGER), u.first_exposure_at,
         (SELECT e.attributes FROM exposures e
          WHERE e.environment_id = @env AND e.experiment = @exp AND e.ts = u.first_exposure_at AND e.unit = x.unit
          ORDER BY e.rowid LIMIT 1)
       FROM temp.analysis_touched x
       JOIN experiment_units u ON u.environment_id = @env AND u.experiment = @exp AND u.unit = x.unit
       WHERE ${ANALYSED_UNITS} AND x.unit NOT IN (SELECT unit FROM ${units})`,
    )
    .run(base);

  const { where, params, events } = tables.eventFilter();
  const { names, columns } = tables.valueColumns(params, events);
  Object.assign(params.values, base);
  sqlite.exec('CREATE TEMP TABLE analysis_delta_events (unit TEXT, e INTEGER, ts INTEGER, v REAL)');
  createPendingTable(sqlite);
  sqlite.exec(
    `CREATE TEMP TABLE analysis_delta_values (unit TEXT PRIMARY KEY${names.map((n) => `, ${n}`).join('')}) WITHOUT ROWID`,
  );
  if (events.length === 0) return names;
  const code = eventCode(events, params.add.bind(params));
  const select = `SELECT t.unit, ${code}, t.ts, coalesce(t.value, 1)`;
  // New rows (late ones included: any ts), then older rows that were past the previous end.
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_delta_events ${select} FROM track_events t NOT INDEXED
       WHERE t.rowid > @twm AND t.rowid <= @twmNew AND ${where}`,
    )
    .run(params.values);
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_delta_events ${select} FROM track_events t
       WHERE ${where} AND t.ts > @prevEnd AND t.rowid <= @twm`,
    )
    .run(params.values);
  // A newly analysed unit's events from before (kept as pending) count now.
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_delta_events
       SELECT q.unit, q.event, q.ts, q.value FROM analysis_pending_events q
       WHERE q.state_id = @state AND q.unit IN (SELECT unit FROM temp.analysis_appear)`,
    )
    .run({ state: state.id });
  for (const known of [units, 'temp.analysis_appear']) {
    sqlite
      .prepare(
        `INSERT INTO temp.analysis_delta_values
         SELECT t.unit, ${columns.join(', ')}
         FROM (SELECT * FROM temp.analysis_delta_events ORDER BY unit) t JOIN ${known} u ON u.unit = t.unit
         GROUP BY t.unit`,
      )
      .run(params.values);
  }
  sqlite.exec(
    `INSERT INTO temp.analysis_new_pending SELECT t.unit, t.e, t.ts, t.v FROM temp.analysis_delta_events t
     WHERE t.unit NOT IN (SELECT unit FROM ${units}) AND t.unit NOT IN (SELECT unit FROM temp.analysis_appear)`,
  );
  return names;
}

/** How a value column of a new event's unit merges into the kept one. */
function merge(tables: AnalysisTables, name: string): string {
  const kind = tables.spec.metrics[Number(name.slice(1))]!.kind;
  return kind === 'binomial' || kind === 'retention' ? `max(s.${name}, d.${name})` : `s.${name} + d.${name}`;
}

/**
 * In the write transaction: applies the plan to the state and builds the summary tables from it.
 * False when the state is no longer the one the plan was made from.
 */
function apply(tables: AnalysisTables, plan: Plan): boolean {
  const { sqlite } = tables;
  const current = readState(tables);
  const same = (a: StateRow | null, b: StateRow | null) =>
    a?.id === b?.id &&
    a?.track_rowid === b?.track_rowid &&
    a?.exposure_rowid === b?.exposure_rowid &&
    a?.end_ms === b?.end_ms;
  if (!same(current, plan.state)) return false;
  const { marks, names } = plan;
  const watermarks = {
    end: tables.end,
    track: marks.trackRowid,
    exposure: marks.exposureRowid,
    trackMinTs: marks.trackMinTs,
    exposureMinTs: marks.exposureMinTs,
  };
  let id: number;
  if (plan.kind === 'delta' && current) {
    id = current.id;
    const units = `main.${unitsTable(id)}`;
    sqlite.exec(`DELETE FROM ${units} WHERE unit IN (SELECT unit FROM temp.analysis_removed)`);
    sqlite.exec(
      `INSERT INTO ${units} SELECT unit, variation, day, f, attrs${names.map(() => ', 0').join('')} FROM temp.analysis_appear`,
    );
    if (names.length > 0) {
      sqlite.exec(
        `UPDATE ${units} AS s SET ${names.map((n) => `${n} = ${merge(tables, n)}`).join(', ')}
         FROM temp.analysis_delta_values d WHERE s.unit = d.unit`,
      );
    }
    sqlite
      .prepare(
        'DELETE FROM analysis_pending_events WHERE state_id = ? AND unit IN (SELECT unit FROM temp.analysis_appear)',
      )
      .run(id);
    sqlite
      .prepare(
        `UPDATE analysis_states SET end_ms = @end, track_rowid = @track, exposure_rowid = @exposure,
           track_min_ts = @trackMinTs, exposure_min_ts = @exposureMinTs WHERE id = @id`,
      )
      .run({ ...watermarks, id });
  } else {
    if (current) {
      sqlite.exec(`DROP TABLE IF EXISTS main.${unitsTable(current.id)}`);
      sqlite.prepare('DELETE FROM analysis_pending_events WHERE state_id = ?').run(current.id);
      sqlite.prepare('DELETE FROM analysis_states WHERE id = ?').run(current.id);
    }
    const { environmentId, key } = tables.spec.experiment;
    id = Number(
      sqlite
        .prepare(
          `INSERT INTO analysis_states (environment_id, experiment, fingerprint, end_ms, track_rowid, exposure_rowid, track_min_ts, exposure_min_ts)
           VALUES (@env, @exp, @fingerprint, @end, @track, @exposure, @trackMinTs, @exposureMinTs)`,
        )
        .run({ ...watermarks, env: environmentId, exp: key, fingerprint: specFingerprint(tables.spec) })
        .lastInsertRowid,
    );
    const units = `main.${unitsTable(id)}`;
    sqlite.exec(
      `CREATE TABLE ${units} (unit TEXT PRIMARY KEY, variation TEXT, day INTEGER, f INTEGER, attrs TEXT${names
        .map((n) => `, ${n}`)
        .join('')}) WITHOUT ROWID`,
    );
    sqlite.exec(
      `INSERT INTO ${units}
       SELECT a.unit, a.variation, a.day, a.f, d.attrs${names.map((n) => `, coalesce(s.${n}, 0)`).join('')}
       FROM temp.analysis_first a LEFT JOIN temp.analysis_units s ON s.unit = a.unit
         LEFT JOIN temp.analysis_dims d ON d.unit = a.unit`,
    );
  }
  sqlite
    .prepare(
      `INSERT INTO analysis_pending_events (state_id, unit, event, ts, value)
       SELECT ?, unit, event, ts, value FROM temp.analysis_new_pending`,
    )
    .run(id);
  tables.summarise(`main.${unitsTable(id)}`, `main.${unitsTable(id)}`);
  return true;
}
