// Incremental analysis: every analysed unit's metric values (`analysis_state_units_<id>`) and their
// sums per (attributes, variation, day) (`analysis_state_sums_<id>`) are kept in SQLite between
// refreshes, so that a refresh reads only the events and exposures that arrived since the previous
// one (rowid watermarks) and updates the sums by the old and new contribution of each unit that
// changed. A from-scratch pass costs ~27× a plain scan of the events; this costs what arrived.
// What forces a rebuild, and why the result equals a from-scratch one: docs/decisions/0005.
import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { AnalysisSpec } from './analysis-spec.ts';
import {
  ANALYSED_UNITS,
  AnalysisTables,
  DAY_MS,
  maxLookback,
  usesCuped,
  variationIndex,
  withSortThreads,
  type UnitCounts,
} from './sufficient-stats.ts';

interface StateRow {
  id: number;
  fingerprint: string;
  end_ms: number;
  track_rowid: number;
  exposure_rowid: number;
  pending_from: number;
  events_deleted: number;
}

/** Where the event tables stand in the refresh's snapshot. */
interface Marks {
  trackRowid: number;
  exposureRowid: number;
}

interface Plan {
  kind: 'rebuild' | 'delta';
  /** The state read (and to be updated), null when there was none. */
  state: StateRow | null;
  marks: Marks;
  names: string[];
  /** Pending events older than this are dropped (and not kept). */
  pendingFrom: number;
}

export interface IncrementalOptions {
  /** Rebuild the state from the events, whatever it is. */
  rebuild?: boolean;
  /** EVENTS_MAX_AGE_DAYS: exposures older than this (by the server's clock) are refused at ingestion. */
  eventsMaxAgeDays: number;
}

/**
 * Time between an event's age check at ingestion and its commit (the writer's queue): an exposure
 * checked just before a refresh may be stored after it.
 */
const INGESTION_LAG_MS = 3_600_000;

const TEMP_TABLES = [
  'analysis_delta_events',
  'analysis_changed',
  'analysis_contrib',
  'analysis_sums_new',
  'analysis_touched',
  'analysis_appear',
  'analysis_removed',
  'analysis_delta_values',
  'analysis_new_pending',
  'analysis_multiple',
];

const unitsTable = (id: number) => `analysis_state_units_${id}`;
const sumsTable = (id: number) => `analysis_state_sums_${id}`;
const multipleTable = (id: number) => `analysis_state_multiple_${id}`;

/**
 * The caps the kept sums apply: fixed ones. Percentile caps move with every refresh, so the kept
 * sums are uncapped for them and corrected when results are read (only units above the cap differ).
 */
function fixedCaps(tables: AnalysisTables): (number | null)[] {
  return tables.spec.metrics.map((m) =>
    m.capping?.type === 'value' && m.kind !== 'binomial' && m.kind !== 'retention' ? m.capping.value : null,
  );
}

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
    // The kept tables' layout: a state an older version kept is rebuilt.
    layout: 2,
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
  options: IncrementalOptions,
): T {
  const tables = new AnalysisTables(sqlite, spec, now);
  try {
    return withSortThreads(sqlite, () => {
      // Another refresh of the same experiment may write the state between the two transactions, or
      // events read may be deleted meanwhile (the delete triggers mark the state's row): the plan is
      // then made again. An experiment without a state gets a row first, so that it can be marked.
      if (!readState(tables)) sqlite.transaction(() => insertStateRow(tables, '')).immediate();
      for (let attempt = 0; attempt < 3; attempt++) {
        dropTemp(sqlite);
        const plan = sqlite.transaction(() => prepare(tables, now, options))();
        if (sqlite.transaction(() => apply(tables, plan)).immediate()) return fn(tables);
      }
      throw new Error('analysis: the state kept changing during the refresh');
    });
  } finally {
    tables.drop();
    dropTemp(sqlite);
  }
}

/** Drops an experiment's kept state (its tables, pending events and row), if it has one. */
export function dropAnalysisState(
  sqlite: BetterSqlite3.Database,
  environmentId: string,
  experiment: string,
): void {
  const row = sqlite
    .prepare('SELECT id FROM analysis_states WHERE environment_id = ? AND experiment = ?')
    .get(environmentId, experiment) as { id: number } | undefined;
  if (!row) return;
  sqlite.exec(`DROP TABLE IF EXISTS main.${unitsTable(row.id)}`);
  sqlite.exec(`DROP TABLE IF EXISTS main.${sumsTable(row.id)}`);
  sqlite.exec(`DROP TABLE IF EXISTS main.${multipleTable(row.id)}`);
  sqlite.prepare('DELETE FROM analysis_pending_events WHERE state_id = ?').run(row.id);
  sqlite.prepare('DELETE FROM analysis_states WHERE id = ?').run(row.id);
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
              (SELECT coalesce(max(rowid), 0) FROM exposures) AS exposureRowid`,
    )
    .get() as Marks;
}

/**
 * The oldest event time a unit not analysed yet can still need. Such a unit is first exposed later
 * at a time ingestion still accepts (not older than EVENTS_MAX_AGE_DAYS before its arrival), and its
 * CUPED look-back reaches back from there. A unit first exposed earlier after all (a database
 * written around ingestion, a larger EVENTS_MAX_AGE_DAYS) forces a rebuild (`prepareDelta`).
 */
function pendingHorizon(tables: AnalysisTables, now: Date, options: IncrementalOptions): number {
  return now.getTime() - options.eventsMaxAgeDays * DAY_MS - INGESTION_LAG_MS - maxLookback(tables.spec);
}

/** In the read transaction: what to apply to the state, in temp tables. */
function prepare(tables: AnalysisTables, now: Date, options: IncrementalOptions): Plan {
  const state = readState(tables);
  const marks = readMarks(tables.sqlite);
  const horizon = pendingHorizon(tables, now, options);
  const usable =
    !options.rebuild &&
    state !== null &&
    state.fingerprint === specFingerprint(tables.spec) &&
    tables.end >= state.end_ms &&
    !state.events_deleted;
  if (usable) {
    const pendingFrom = Math.max(state.pending_from, horizon);
    const names = prepareDelta(tables, state, marks, pendingFrom);
    if (names) {
      readMultiple(tables, 'temp.analysis_touched');
      return { kind: 'delta', state, marks, names, pendingFrom };
    }
  }
  readMultiple(tables);
  const names = tables.buildUnits();
  const { where, params, events } = tables.eventFilter();
  createPendingTable(tables.sqlite);
  if (events.length > 0) {
    tables.sqlite
      .prepare(
        `INSERT INTO temp.analysis_new_pending
         SELECT t.unit, ${eventCode(events, params.add.bind(params))}, t.ts, coalesce(t.value, 1)
         FROM track_events t
         WHERE ${where} AND t.ts >= ${params.add(horizon)} AND t.unit NOT IN (SELECT unit FROM temp.analysis_first)`,
      )
      .run(params.values);
  }
  return { kind: 'rebuild', state, marks, names, pendingFrom: horizon };
}

/**
 * Units seen in more than one variation (and their first exposure) into `temp.analysis_multiple`:
 * all of them, or those among `touched` (the units with new exposures: a unit's row in
 * `experiment_units` changes only with a new exposure). The state keeps them to count them.
 */
function readMultiple(tables: AnalysisTables, touched?: string): void {
  tables.sqlite.exec('CREATE TEMP TABLE analysis_multiple (unit TEXT PRIMARY KEY, f INTEGER) WITHOUT ROWID');
  tables.sqlite
    .prepare(
      `INSERT INTO temp.analysis_multiple SELECT u.unit, u.first_exposure_at
       FROM ${touched ? `${touched} x CROSS JOIN experiment_units u ON u.unit = x.unit AND` : 'experiment_units u WHERE'}
         u.environment_id = @env AND u.experiment = @exp AND u.multiple_variations = 1`,
    )
    .run(tables.baseParams());
}

/**
 * The unit counts from the state: the analysed units are the kept ones (by variation in the kept
 * sums), the excluded ones in several variations those kept as such, first exposed in the window.
 */
function keptCounts(tables: AnalysisTables, id: number): UnitCounts {
  const { sqlite } = tables;
  const { multiple } = sqlite
    .prepare(`SELECT count(*) AS multiple FROM main.${multipleTable(id)} WHERE f >= @start AND f <= @end`)
    .get(tables.baseParams()) as { multiple: number };
  const counts: UnitCounts = { total: multiple, multipleVariations: multiple, unknownVariation: 0 };
  const rows = sqlite
    .prepare(`SELECT variation, sum(units) AS units FROM main.${sumsTable(id)} GROUP BY variation`)
    .all() as { variation: string; units: number }[];
  for (const row of rows) {
    counts.total += row.units;
    if (variationIndex(tables.spec, row.variation) < 0) counts.unknownVariation += row.units;
  }
  return counts;
}

function eventCode(events: string[], add: (value: string) => string): string {
  return `CASE t.event ${events.map((e, k) => `WHEN ${add(e)} THEN ${k}`).join(' ')} END`;
}

function createPendingTable(sqlite: BetterSqlite3.Database): void {
  sqlite.exec('CREATE TEMP TABLE analysis_new_pending (unit TEXT, event INTEGER, ts INTEGER, value REAL)');
}

/**
 * The changes since the state's watermarks, in temp tables: the units that became analysed, and
 * per unit the values of its new events; events of units not analysed from `pendingFrom` on become
 * pending. Null when they cannot be applied exactly: a unit already analysed changed its first
 * exposure or variation (its events before the watermark would count differently and are not
 * kept), or a unit appears whose look-back reaches before the pending events kept — the caller
 * rebuilds.
 */
function prepareDelta(
  tables: AnalysisTables,
  state: StateRow,
  marks: Marks,
  pendingFrom: number,
): string[] | null {
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
       SELECT e.unit FROM exposures e
       WHERE e.rowid > @xwm AND e.rowid <= @xwmNew AND +e.environment_id = @env AND +e.experiment = @exp`,
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
  const touchedInState = `temp.analysis_touched x CROSS JOIN ${units} s ON s.unit = x.unit
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
       CROSS JOIN experiment_units u ON u.environment_id = @env AND u.experiment = @exp AND u.unit = x.unit
       WHERE ${ANALYSED_UNITS} AND x.unit NOT IN (SELECT unit FROM ${units})`,
    )
    .run(base);
  const { early } = sqlite
    .prepare('SELECT count(*) AS early FROM temp.analysis_appear WHERE f < ?')
    .get(state.pending_from + maxLookback(tables.spec)) as { early: number };
  if (early > 0) return null;

  const { unindexed, since, params, events } = tables.eventFilter();
  const { names, columns } = tables.valueColumns(params, events, 't.f');
  Object.assign(params.values, base);
  sqlite.exec('CREATE TEMP TABLE analysis_delta_events (unit TEXT, e INTEGER, ts INTEGER, v REAL)');
  createPendingTable(sqlite);
  sqlite.exec(
    `CREATE TEMP TABLE analysis_delta_values (unit TEXT PRIMARY KEY${names.map((n) => `, ${n}`).join('')}) WITHOUT ROWID`,
  );
  if (events.length === 0) return names;
  const code = eventCode(events, params.add.bind(params));
  const select = `SELECT t.unit, ${code}, t.ts, coalesce(t.value, 1)`;
  // New rows (late ones included: any ts), then older rows that were past the previous end: the
  // event index finds those by time and has the rowid, so only they are read from the table.
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_delta_events ${select} FROM track_events t
       WHERE t.rowid > @twm AND t.rowid <= @twmNew AND ${unindexed}`,
    )
    .run(params.values);
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_delta_events ${select} FROM track_events t
       WHERE t.rowid IN (SELECT t.rowid FROM track_events t INDEXED BY track_events_event_idx
                         WHERE ${since} AND +t.rowid <= @twm)`,
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
  // Each event meets its unit's first exposure in unit order (sorted first, as in a from-scratch
  // pass); events of units not analysed are kept as pending.
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_delta_values
       SELECT t.unit, ${columns.join(', ')}
       FROM (SELECT t.unit AS unit, t.e AS e, t.ts AS ts, t.v AS v, coalesce(s.f, a.f) AS f
             FROM (SELECT * FROM temp.analysis_delta_events ORDER BY unit) t
               LEFT JOIN ${units} s ON s.unit = t.unit LEFT JOIN temp.analysis_appear a ON a.unit = t.unit) t
       WHERE t.f IS NOT NULL GROUP BY t.unit`,
    )
    .run(params.values);
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_new_pending SELECT t.unit, t.e, t.ts, t.v FROM temp.analysis_delta_events t
       WHERE t.ts >= ? AND t.unit NOT IN (SELECT unit FROM temp.analysis_delta_values)`,
    )
    .run(pendingFrom);
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
    a?.end_ms === b?.end_ms &&
    a?.events_deleted === b?.events_deleted;
  if (!same(current, plan.state)) return false;
  const { marks, names, pendingFrom } = plan;
  const watermarks = {
    end: tables.end,
    track: marks.trackRowid,
    exposure: marks.exposureRowid,
    pendingFrom,
  };
  const id =
    plan.kind === 'delta' && current
      ? updateState(tables, current, names)
      : rebuildState(tables, current, names);
  sqlite
    .prepare(
      `UPDATE analysis_states SET end_ms = @end, track_rowid = @track, exposure_rowid = @exposure,
         pending_from = @pendingFrom WHERE id = @id`,
    )
    .run({ ...watermarks, id });
  sqlite.prepare('DELETE FROM analysis_pending_events WHERE state_id = ? AND ts < ?').run(id, pendingFrom);
  sqlite.exec(`INSERT OR REPLACE INTO main.${multipleTable(id)} SELECT unit, f FROM temp.analysis_multiple`);
  sqlite
    .prepare(
      `INSERT INTO analysis_pending_events (state_id, unit, event, ts, value)
       SELECT ?, unit, event, ts, value FROM temp.analysis_new_pending`,
    )
    .run(id);
  summarise(tables, id);
  tables.counts = keptCounts(tables, id);
  return true;
}

/**
 * The value columns of percentile-capped metrics: indexed, so that the cap is found from the top of
 * the values, and the units above it read alone for the correction.
 */
function cappedColumns(tables: AnalysisTables): string[] {
  return tables.spec.metrics.flatMap((m, i) => {
    if (m.capping?.type !== 'percentile' || m.kind === 'binomial' || m.kind === 'retention') return [];
    return usesCuped(tables.spec, m) ? [`m${i}`, `p${i}`] : [`m${i}`];
  });
}

/**
 * A state's row, with nothing analysed yet; its id. Deleting events from `tracks_from` /
 * `exposures_from` on marks it (the triggers of migration 0006).
 */
function insertStateRow(tables: AnalysisTables, fingerprint: string): number {
  const { environmentId, key } = tables.spec.experiment;
  return Number(
    tables.sqlite
      .prepare(
        `INSERT INTO analysis_states (environment_id, experiment, fingerprint, end_ms, track_rowid, exposure_rowid,
           tracks_from, exposures_from, pending_from)
         VALUES (?, ?, ?, 0, 0, 0, ?, ?, 0)`,
      )
      .run(environmentId, key, fingerprint, tables.start - maxLookback(tables.spec), tables.start)
      .lastInsertRowid,
  );
}

/** A new state from the from-scratch tables of `prepare`; its id. */
function rebuildState(tables: AnalysisTables, current: StateRow | null, names: string[]): number {
  const { sqlite } = tables;
  const { environmentId, key } = tables.spec.experiment;
  if (current) dropAnalysisState(sqlite, environmentId, key);
  const id = insertStateRow(tables, specFingerprint(tables.spec));

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
  sqlite.exec(`CREATE TABLE main.${multipleTable(id)} (unit TEXT PRIMARY KEY, f INTEGER) WITHOUT ROWID`);
  // Retention metrics count a unit once its window has ended: those crossing are found by `f`.
  for (const column of ['f', ...cappedColumns(tables)])
    sqlite.exec(`CREATE INDEX main.${unitsTable(id)}_${column} ON ${unitsTable(id)} (${column})`);
  sqlite
    .prepare(
      `CREATE TABLE main.${sumsTable(id)} AS
       SELECT p.attrs AS attrs, p.variation AS variation, p.day AS day, count(*) AS units,
         ${tables.sumColumns(undefined, { caps: fixedCaps(tables) })}
       FROM ${units} p GROUP BY p.attrs, p.variation, p.day`,
    )
    .run(tables.baseParams());
  return id;
}

/**
 * Applies the changes of `prepareDelta` to the state: each changed unit's old contribution to the
 * kept sums is taken away and its new one added (units whose retention window ended since count
 * as changed); the state's id.
 */
function updateState(tables: AnalysisTables, state: StateRow, names: string[]): number {
  const { sqlite, spec } = tables;
  const units = `main.${unitsTable(state.id)}`;
  const params = { ...tables.baseParams(), prevEnd: state.end_ms };
  sqlite.exec('CREATE TEMP TABLE analysis_changed (unit TEXT PRIMARY KEY) WITHOUT ROWID');
  for (const source of ['temp.analysis_delta_values', 'temp.analysis_appear', 'temp.analysis_removed'])
    sqlite.exec(`INSERT OR IGNORE INTO temp.analysis_changed SELECT unit FROM ${source}`);
  for (const m of spec.metrics) {
    if (m.kind !== 'retention' || !m.retention) continue;
    sqlite
      .prepare(
        `INSERT OR IGNORE INTO temp.analysis_changed SELECT unit FROM ${units}
         WHERE f > @prevEnd - @window AND f <= @end - @window`,
      )
      .run({ ...params, window: m.retention.toDays * DAY_MS });
  }
  // Each changed unit's contribution to the sums, new minus old (a unit that appears: new only; one
  // removed: old only), per (attributes, variation, day).
  const fixed = fixedCaps(tables);
  const metrics = spec.metrics.map((_, i) => i);
  const merged = (n: string) => (n === 'f' ? 's.f' : `coalesce(${merge(tables, n)}, s.${n})`);
  const terms = (end: string, column: (n: string) => string) =>
    metrics.flatMap((i) => tables.sumTerms(i, fixed[i], end, column));
  const newTerms = terms('@end', merged);
  const oldTerms = terms('@prevEnd', (n) => `s.${n}`);
  const appearTerms = terms('@end', (n) => (n === 'f' ? 's.f' : `coalesce(d.${n}, 0)`));
  const columns = ['units', ...tables.sumNames()];
  const changes = [
    `SELECT s.attrs, s.variation, s.day, 0 AS units,
       ${newTerms.map((t, k) => `${t.term === oldTerms[k]!.term ? '0' : `${t.agg}((${t.term}) - (${oldTerms[k]!.term}))`} AS ${t.name}`).join(', ')}
     FROM temp.analysis_changed c CROSS JOIN ${units} s ON s.unit = c.unit
       LEFT JOIN temp.analysis_delta_values d ON d.unit = c.unit
     WHERE c.unit NOT IN (SELECT unit FROM temp.analysis_removed)
     GROUP BY s.attrs, s.variation, s.day`,
    `SELECT s.attrs, s.variation, s.day, count(*), ${appearTerms.map((t) => `${t.agg}(${t.term})`).join(', ')}
     FROM temp.analysis_appear s LEFT JOIN temp.analysis_delta_values d ON d.unit = s.unit
     GROUP BY s.attrs, s.variation, s.day`,
    `SELECT s.attrs, s.variation, s.day, -count(*), ${oldTerms.map((t) => `${t.agg}(-(${t.term}))`).join(', ')}
     FROM temp.analysis_removed r CROSS JOIN ${units} s ON s.unit = r.unit
     GROUP BY s.attrs, s.variation, s.day`,
  ];
  sqlite.prepare(`CREATE TEMP TABLE analysis_contrib AS ${changes.join(' UNION ALL ')}`).run(params);
  // Most changed units leave the indexed (capped) values as they were: those rows are rewritten
  // without those columns, which spares the indexes (capped metrics add up: no new amount, no change).
  const capped = cappedColumns(tables);
  const cappedUnchanged = ['1', ...capped.map((n) => `d.${n} = 0`)].join(' AND ');
  const updates = [
    { set: names.filter((n) => !capped.includes(n)), where: cappedUnchanged },
    { set: names, where: `NOT (${cappedUnchanged})` },
  ];
  for (const { set, where } of updates) {
    if (set.length === 0) continue;
    sqlite.exec(
      `UPDATE ${units} AS s SET (${set.join(', ')}) =
         (SELECT ${set.map((n) => merge(tables, n)).join(', ')} FROM temp.analysis_delta_values d WHERE d.unit = s.unit)
       WHERE s.unit IN (SELECT d.unit FROM temp.analysis_delta_values d WHERE ${where})`,
    );
  }
  sqlite.exec(`DELETE FROM ${units} WHERE unit IN (SELECT unit FROM temp.analysis_removed)`);
  sqlite.exec(
    `INSERT INTO ${units} SELECT s.unit, s.variation, s.day, s.f, s.attrs${names
      .map((n) => `, coalesce(d.${n}, 0)`)
      .join('')}
     FROM temp.analysis_appear s LEFT JOIN temp.analysis_delta_values d ON d.unit = s.unit`,
  );
  sqlite
    .prepare(
      'DELETE FROM analysis_pending_events WHERE state_id = ? AND unit IN (SELECT unit FROM temp.analysis_appear)',
    )
    .run(state.id);
  // The kept sums plus the changes, re-grouped (a few thousand rows); a group left without units
  // goes, as it would not exist in a from-scratch computation.
  const sums = `main.${sumsTable(state.id)}`;
  sqlite.exec(
    `CREATE TEMP TABLE analysis_sums_new AS
     SELECT attrs, variation, day, ${columns.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM (
       SELECT attrs, variation, day, ${columns.join(', ')} FROM ${sums}
       UNION ALL SELECT * FROM temp.analysis_contrib)
     GROUP BY attrs, variation, day HAVING sum(units) > 0`,
  );
  sqlite.exec(`DELETE FROM ${sums}`);
  sqlite.exec(`INSERT INTO ${sums} SELECT * FROM temp.analysis_sums_new`);
  return state.id;
}

/**
 * The caps from the kept values, and `temp.analysis_group_sums` from the kept sums: percentile-capped
 * metrics corrected by the units above their cap (capped minus uncapped contribution).
 */
function summarise(tables: AnalysisTables, id: number): void {
  const { sqlite } = tables;
  const units = `main.${unitsTable(id)}`;
  const fixed = fixedCaps(tables);
  tables.caps = tables.findCaps(units);
  const corrected = tables.caps.flatMap((cap, i) => (cap !== null && fixed[i] === null ? [i] : []));
  const columns = ['units', ...tables.sumNames()];
  const correction = new Map<string, string>();
  for (const i of corrected) {
    const capped = tables.sumTerms(i, tables.caps[i]);
    const uncapped = tables.sumTerms(i, null);
    capped.forEach((t, k) => correction.set(t.name, `total((${t.term}) - (${uncapped[k]!.term}))`));
  }
  const above = corrected
    .map(
      (i) =>
        `p.m${i} > ${tables.caps[i]}${usesCuped(tables.spec, tables.spec.metrics[i]!) ? ` OR p.p${i} > ${tables.caps[i]}` : ''}`,
    )
    .join(' OR ');
  sqlite.exec('DROP TABLE IF EXISTS temp.analysis_group_sums');
  sqlite
    .prepare(
      `CREATE TEMP TABLE analysis_group_sums AS
       SELECT attrs, variation, day, ${columns.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM (
         SELECT attrs, variation, day, ${columns.join(', ')} FROM main.${sumsTable(id)}
         ${
           corrected.length === 0
             ? ''
             : `UNION ALL
         SELECT p.attrs, p.variation, p.day, 0, ${columns
           .slice(1)
           .map((c) => correction.get(c) ?? '0')
           .join(', ')}
         FROM ${units} p WHERE ${above} GROUP BY p.attrs, p.variation, p.day`
         })
       GROUP BY attrs, variation, day`,
    )
    .run(tables.baseParams());
}
