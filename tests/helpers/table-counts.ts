import type BetterSqlite3 from 'better-sqlite3';

/** Row counts of every table, compared before and after a request to prove nothing was written. */
export function tableRowCounts(sqlite: BetterSqlite3.Database): Record<string, number> {
  const tables = sqlite
    .prepare("select name from sqlite_master where type = 'table' and name not like '\\_\\_%' escape '\\'")
    .all() as { name: string }[];
  return Object.fromEntries(
    tables.map(({ name }) => [
      name,
      (sqlite.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n,
    ]),
  );
}
