import { and, asc, eq, inArray } from 'drizzle-orm';
import { dropAnalysisState } from '../analysis/analysis-state.ts';
import type { Db } from '../db/open-db.ts';
import { experimentMetrics, experimentPhases, experiments } from '../db/schema.ts';
import type { MetricRole } from './analysis-spec.ts';

export type ExperimentRow = typeof experiments.$inferSelect;
export type PhaseRow = typeof experimentPhases.$inferSelect;
export interface ExperimentMetricRef {
  role: MetricRole;
  metricId: string;
}

export interface ExperimentStore {
  list(): Promise<ExperimentRow[]>;
  byKey(key: string): Promise<ExperimentRow | undefined>;
  /** Experiments on this flag with one of these statuses (all statuses when none given). */
  byFlag(flagId: string, statuses?: ExperimentRow['status'][]): Promise<ExperimentRow[]>;
  insert(experiment: ExperimentRow): Promise<void>;
  update(id: string, patch: Partial<Omit<ExperimentRow, 'id' | 'key' | 'createdAt'>>): Promise<void>;
  delete(id: string): Promise<void>;
  /** Metric references in role order (goal, secondary, guardrail), each in its configured order. */
  metrics(experimentId: string): Promise<ExperimentMetricRef[]>;
  setMetrics(experimentId: string, refs: ExperimentMetricRef[]): Promise<void>;
  phases(experimentId: string): Promise<PhaseRow[]>;
  insertPhase(phase: PhaseRow): Promise<void>;
  endPhase(experimentId: string, number: number, endedAt: Date): Promise<void>;
}

const roleOrder: Record<MetricRole, number> = { goal: 0, secondary: 1, guardrail: 2 };

export function sqliteExperimentStore({ orm, sqlite }: Db): ExperimentStore {
  // An experiment's kept analysis state (tables of its own, pending events) must not outlive it.
  const dropStateOf = (id: string) => {
    const row = orm.select().from(experiments).where(eq(experiments.id, id)).get();
    if (row) dropAnalysisState(sqlite, row.environmentId, row.key);
  };
  return {
    async list() {
      return orm.select().from(experiments).orderBy(asc(experiments.key)).all();
    },
    async byKey(key) {
      return orm.select().from(experiments).where(eq(experiments.key, key)).get();
    },
    async byFlag(flagId, statuses) {
      const where = [eq(experiments.flagId, flagId)];
      if (statuses) where.push(inArray(experiments.status, statuses));
      return orm
        .select()
        .from(experiments)
        .where(and(...where))
        .orderBy(asc(experiments.key))
        .all();
    },
    async insert(experiment) {
      orm.insert(experiments).values(experiment).run();
    },
    async update(id, patch) {
      // Shipped or abandoned, its results no longer change: the kept state would only take space
      // (a refresh asked for later rebuilds it from the events).
      if (patch.status === 'shipped' || patch.status === 'abandoned') dropStateOf(id);
      orm.update(experiments).set(patch).where(eq(experiments.id, id)).run();
    },
    async delete(id) {
      dropStateOf(id);
      orm.delete(experiments).where(eq(experiments.id, id)).run();
    },
    async metrics(experimentId) {
      const rows = orm
        .select()
        .from(experimentMetrics)
        .where(eq(experimentMetrics.experimentId, experimentId))
        .orderBy(asc(experimentMetrics.position))
        .all();
      return rows
        .sort((a, b) => roleOrder[a.role] - roleOrder[b.role] || a.position - b.position)
        .map(({ role, metricId }) => ({ role, metricId }));
    },
    async setMetrics(experimentId, refs) {
      orm.delete(experimentMetrics).where(eq(experimentMetrics.experimentId, experimentId)).run();
      const position: Record<MetricRole, number> = { goal: 0, secondary: 0, guardrail: 0 };
      if (refs.length === 0) return;
      orm
        .insert(experimentMetrics)
        .values(
          refs.map(({ role, metricId }) => ({ experimentId, role, metricId, position: position[role]++ })),
        )
        .run();
    },
    async phases(experimentId) {
      return orm
        .select()
        .from(experimentPhases)
        .where(eq(experimentPhases.experimentId, experimentId))
        .orderBy(asc(experimentPhases.number))
        .all();
    },
    async insertPhase(phase) {
      orm.insert(experimentPhases).values(phase).run();
    },
    async endPhase(experimentId, number, endedAt) {
      orm
        .update(experimentPhases)
        .set({ endedAt })
        .where(and(eq(experimentPhases.experimentId, experimentId), eq(experimentPhases.number, number)))
        .run();
    },
  };
}
