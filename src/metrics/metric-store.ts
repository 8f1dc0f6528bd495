import { asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/open-db.ts';
import { experimentMetrics, experiments, metrics } from '../db/schema.ts';

export type MetricRow = typeof metrics.$inferSelect;

export interface MetricStore {
  list(): Promise<MetricRow[]>;
  byKey(key: string): Promise<MetricRow | undefined>;
  byKeys(keys: string[]): Promise<MetricRow[]>;
  byIds(ids: string[]): Promise<MetricRow[]>;
  insert(metric: MetricRow): Promise<void>;
  update(id: string, patch: Partial<Omit<MetricRow, 'id' | 'key' | 'createdAt'>>): Promise<void>;
  delete(id: string): Promise<void>;
  /** Keys of the experiments (any status) that use this metric in any role. */
  experimentsUsing(metricId: string): Promise<string[]>;
}

export function sqliteMetricStore({ orm }: Db): MetricStore {
  return {
    async list() {
      return orm.select().from(metrics).orderBy(asc(metrics.key)).all();
    },
    async byKey(key) {
      return orm.select().from(metrics).where(eq(metrics.key, key)).get();
    },
    async byKeys(keys) {
      if (keys.length === 0) return [];
      return orm.select().from(metrics).where(inArray(metrics.key, keys)).all();
    },
    async byIds(ids) {
      if (ids.length === 0) return [];
      return orm.select().from(metrics).where(inArray(metrics.id, ids)).all();
    },
    async insert(metric) {
      orm.insert(metrics).values(metric).run();
    },
    async update(id, patch) {
      orm.update(metrics).set(patch).where(eq(metrics.id, id)).run();
    },
    async delete(id) {
      orm.delete(metrics).where(eq(metrics.id, id)).run();
    },
    async experimentsUsing(metricId) {
      const rows = orm
        .selectDistinct({ key: experiments.key })
        .from(experimentMetrics)
        .innerJoin(experiments, eq(experiments.id, experimentMetrics.experimentId))
        .where(eq(experimentMetrics.metricId, metricId))
        .orderBy(asc(experiments.key))
        .all();
      return rows.map((r) => r.key);
    },
  };
}
