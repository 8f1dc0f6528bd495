// A kept state built from scratch: the from-scratch pass's per-unit values (refresh-plan.ts) copied
// into the state's tables, indexed, and summed per (attributes, variation, day).
import {
  cappedColumns,
  dropAnalysisState,
  fixedCaps,
  insertStateRow,
  multipleTable,
  specFingerprint,
  sumsTable,
  unitsTable,
  type StateRow,
} from './state-tables.ts';
import type { AnalysisTables } from './analysis-tables.ts';

/** A new state from the from-scratch tables of `prepare`; its id. */
export function rebuildState(tables: AnalysisTables, current: StateRow | null, names: string[]): number {
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
