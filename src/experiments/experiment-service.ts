import type { z } from '@hono/zod-openapi';
import type { Actor } from '../audit/actor.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { newId } from '../auth/secrets.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import type { EnvironmentStore } from '../environments/environment-store.ts';
import { conflict, validationFailed } from '../errors.ts';
import type { FlagReferenceCheck, FlagService } from '../flags/flag-service.ts';
import type { FlagRow, FlagStore } from '../flags/flag-store.ts';
import type { JsonLimits } from '../json-limits.ts';
import type { MetricStore } from '../metrics/metric-store.ts';
import { measureBaselinesInThread } from '../analysis/analysis-thread.ts';
import { measureBaseline, type Baseline } from '../analysis/metric-baseline.ts';
import type { AnalysisSpec, ExperimentPlanning, ExperimentStatus } from './analysis-spec.ts';
import { derivePlanning, planEffect, planIssues } from './experiment-planning.ts';
import { ExperimentReader, ROLES, roleField, type ExperimentView } from './experiment-reader.ts';
import { definedOnly, variationIssues, wrongStatus, type Issue } from './experiment-rules.ts';
import type { CreateExperiment, ShipExperiment, UpdateExperiment } from './experiment-schemas.ts';
import type { ExperimentRow, ExperimentStore } from './experiment-store.ts';
import { ExperimentFlagWriter } from './experiment-flag-writer.ts';

export type { ExperimentView } from './experiment-reader.ts';
export { experimentRuleId, shipRuleId } from './experiment-rules.ts';

/** Statuses in which an experiment holds on to its flag (the flag cannot be deleted). */
const HOLDING: ExperimentStatus[] = ['draft', 'running', 'stopped'];

/**
 * Creates, changes and moves experiments through `draft → running → stopped → shipped | abandoned`,
 * writing their rules into the flag's environment config in the same transaction (experiment-flag-writer.ts).
 */
export class ExperimentService {
  constructor(
    private readonly deps: {
      db: Db;
      experiments: ExperimentStore;
      metrics: MetricStore;
      flags: FlagStore;
      flagService: FlagService;
      environments: EnvironmentStore;
      audit: AuditLog;
      clock: Clock;
      limits: JsonLimits;
    },
  ) {
    this.reader = new ExperimentReader(deps);
  }

  private readonly reader: ExperimentReader;

  /** For `FlagService.addReferenceCheck`: unfinished experiments hold on to their flag. */
  readonly flagReferences: FlagReferenceCheck = async (flag) =>
    (await this.deps.experiments.byFlag(flag.id, HOLDING)).map((e) => `experiment ${e.key} (${e.status})`);

  list(): Promise<ExperimentView[]> {
    return this.reader.list();
  }

  get(key: string): Promise<ExperimentView> {
    return this.reader.get(key);
  }

  /**
   * What the analysis needs: settings, the current phase (or phase `phaseNumber`), the variations
   * with that phase's weights, and the full metric definitions. Drafts have no phase: 409.
   */
  getAnalysisSpec(key: string, phaseNumber?: number): Promise<AnalysisSpec> {
    return this.reader.getAnalysisSpec(key, phaseNumber);
  }

  async create(
    input: z.output<typeof CreateExperiment>,
    actor: Actor,
    requestId?: string,
  ): Promise<ExperimentView> {
    return this.deps.db.transaction(async () => {
      if (await this.deps.experiments.byKey(input.key))
        throw conflict(`experiment '${input.key}' already exists`);
      const issues: Issue[] = [];
      const { flag, env } = await this.reader.target(input.flag, input.environment, issues);
      if (flag) issues.push(...variationIssues(flag, input.variations, this.deps.limits));
      const refs = await this.reader.metricRefs(input, issues);
      issues.push(...planIssues(input.plan, input.goalMetrics));
      if (issues.length > 0) throw validationFailed(issues);
      const now = this.deps.clock.now();
      const row: ExperimentRow = {
        id: newId('exp'),
        key: input.key,
        name: input.name,
        hypothesis: input.hypothesis,
        flagId: flag!.id,
        flagKey: flag!.key,
        environmentId: env!.id,
        variations: input.variations,
        coverage: input.coverage,
        hashAttribute: input.hashAttribute,
        settings: input.settings,
        plan: input.plan,
        planning: null,
        status: 'draft',
        shippedVariation: null,
        enabledFlag: false,
        createdAt: now,
        updatedAt: now,
      };
      await this.deps.experiments.insert(row);
      await this.deps.experiments.setMetrics(row.id, refs!);
      const after = await this.reader.view(row);
      await this.record(actor, 'experiment.create', row, undefined, after, requestId);
      return after;
    });
  }

  /**
   * Name, hypothesis, metrics and settings change anytime; variations, flag, environment and hash
   * attribute only in draft. Weights or coverage of a running experiment start a new phase.
   */
  async update(
    key: string,
    patch: z.output<typeof UpdateExperiment>,
    actor: Actor,
    requestId?: string,
  ): Promise<ExperimentView & { warnings: string[] }> {
    const { result, publish } = await this.deps.db.transaction(async () => {
      const row = await this.reader.row(key);
      const before = await this.reader.view(row);
      const draft = row.status === 'draft';
      const issues: Issue[] = [];
      const next: Partial<ExperimentRow> = {};
      const draftOnly = (field: string) =>
        conflict(`body.${field}: can change only while the experiment is a draft (it is ${row.status})`, {
          status: row.status,
        });

      let flag: FlagRow | undefined = (await this.deps.flags.byKey(row.flagKey)) ?? undefined;
      if (patch.flag !== undefined || patch.environment !== undefined) {
        if (!draft) throw draftOnly(patch.flag !== undefined ? 'flag' : 'environment');
        const target = await this.reader.target(patch.flag ?? row.flagKey, patch.environment, issues);
        flag = target.flag;
        if (target.flag) Object.assign(next, { flagId: target.flag.id, flagKey: target.flag.key });
        if (target.env) next.environmentId = target.env.id;
      }
      if (patch.hashAttribute !== undefined && patch.hashAttribute !== row.hashAttribute) {
        if (!draft) throw draftOnly('hashAttribute');
        next.hashAttribute = patch.hashAttribute;
      }
      const variations = patch.variations ?? row.variations;
      if (patch.variations !== undefined && !draft) {
        const same =
          patch.variations.length === row.variations.length &&
          patch.variations.every(
            (v, i) =>
              v.key === row.variations[i]!.key &&
              JSON.stringify(v.value) === JSON.stringify(row.variations[i]!.value),
          );
        if (!same)
          throw conflict(
            `body.variations: once started only the weights can change (same keys and values, in order); the experiment is ${row.status}`,
            { status: row.status },
          );
      }
      if (flag && (patch.variations !== undefined || next.flagId !== undefined))
        issues.push(...variationIssues(flag, variations, this.deps.limits));
      const weightsChanged =
        variations.length !== row.variations.length ||
        variations.some((v, i) => v.weight !== row.variations[i]?.weight);
      const coverageChanged = patch.coverage !== undefined && patch.coverage !== row.coverage;
      if ((weightsChanged || coverageChanged) && !draft && row.status !== 'running')
        throw conflict(
          `body.${weightsChanged ? 'variations' : 'coverage'}: can change only in draft or while running (the experiment is ${row.status})`,
          { status: row.status },
        );
      if (patch.variations !== undefined) next.variations = patch.variations;
      if (patch.coverage !== undefined) next.coverage = patch.coverage;
      if (patch.name !== undefined) next.name = patch.name;
      if (patch.hypothesis !== undefined) next.hypothesis = patch.hypothesis;
      const tuning = patch.settings?.sequentialTuning;
      if (tuning !== undefined && !draft && tuning !== row.settings.sequentialTuning)
        throw draftOnly('settings.sequentialTuning');
      if (patch.plan !== undefined) next.plan = patch.plan;
      if (patch.settings !== undefined)
        next.settings = {
          ...row.settings,
          ...definedOnly(patch.settings),
        };
      const metricsChanged = ROLES.some((role) => patch[roleField[role]] !== undefined);
      const refs = metricsChanged
        ? await this.reader.metricRefs({ ...before, ...definedOnly(patch) }, issues, patch)
        : null;
      if (patch.plan !== undefined || patch.goalMetrics !== undefined)
        issues.push(...planIssues(patch.plan ?? row.plan, patch.goalMetrics ?? before.goalMetrics));
      if (issues.length > 0) throw validationFailed(issues);

      const now = this.deps.clock.now();
      const updated: ExperimentRow = { ...row, ...next, updatedAt: now };
      await this.deps.experiments.update(row.id, { ...next, updatedAt: now });
      if (refs) await this.deps.experiments.setMetrics(row.id, refs);
      const warnings: string[] = [];
      let publish = () => {};
      if (row.status === 'running' && (weightsChanged || coverageChanged)) {
        const current = (await this.deps.experiments.phases(row.id)).at(-1)!;
        const number = current.number + 1;
        await this.deps.experiments.endPhase(row.id, current.number, now);
        await this.deps.experiments.insertPhase({
          experimentId: row.id,
          number,
          startedAt: now,
          endedAt: null,
          weights: updated.variations.map((v) => v.weight),
          coverage: updated.coverage,
        });
        publish = await this.flagWriter(actor, requestId).newPhase(updated, number);
        warnings.push(
          `Weights or coverage changed while running: phase ${number} started. Users may be re-bucketed into a different variation (or in or out of the experiment); results count phase ${number} only.`,
        );
      }
      const after = await this.reader.view(updated);
      await this.record(actor, 'experiment.update', row, before, { ...after, warnings }, requestId);
      return { result: { ...after, warnings }, publish };
    });
    publish();
    return result;
  }

  /** Draft → running: appends the experiment rule to the flag's environment config (and turns the flag on). */
  async start(
    key: string,
    actor: Actor,
    requestId?: string,
  ): Promise<ExperimentView & { flagEnabled: boolean }> {
    const baselines = await this.baselines(key, this.deps.clock.now());
    return this.transition(key, 'start', ['draft'], 'running', actor, requestId, async (row, now) => {
      const flag = await this.deps.flags.byKey(row.flagKey);
      if (!flag) throw conflict(`flag '${row.flagKey}' no longer exists`);
      if (flag.archivedAt) throw conflict(`flag '${row.flagKey}' is archived; unarchive it before starting`);
      // Two experiments on one flag in one environment would split the same units between their
      // rules (the first rule wins whoever it covers) and bias both analyses.
      const rival = (await this.deps.experiments.byFlag(flag.id, ['running'])).find(
        (other) => other.environmentId === row.environmentId && other.id !== row.id,
      );
      if (rival)
        throw conflict(
          `experiment '${rival.key}' is already running on flag '${row.flagKey}' in this environment; stop it first`,
          { experiment: rival.key },
        );
      await this.deps.experiments.insertPhase({
        experimentId: row.id,
        number: 1,
        startedAt: now,
        endedAt: null,
        weights: row.variations.map((v) => v.weight),
        coverage: row.coverage,
      });
      const planning = await this.planning(row, baselines, now);
      const settings = { ...row.settings, sequentialTuning: planning.sequentialTuning };
      const { publish, flagEnabled } = await this.flagWriter(actor, requestId).start(row);
      return { publish, extra: { flagEnabled }, patch: { enabledFlag: flagEnabled, settings, planning } };
    });
  }

  /**
   * Running → stopped: removes the experiment rule (and switches the flag off if starting switched
   * it on); the flag serves what it served before.
   */
  async stop(key: string, actor: Actor, requestId?: string): Promise<ExperimentView> {
    return this.transition(key, 'stop', ['running'], 'stopped', actor, requestId, async (row, now) => {
      await this.endPhase(row, now);
      return { publish: await this.flagWriter(actor, requestId).remove(row), extra: {} };
    });
  }

  /**
   * Running or stopped → shipped: the chosen variation's value becomes what the flag serves in the
   * experiment's environment, as a `force` rule at the top (the flag's global default is untouched,
   * other environments may differ). `via: 'rule'` is the only way for now; ramps will add another.
   */
  async ship(
    key: string,
    input: z.output<typeof ShipExperiment>,
    actor: Actor,
    requestId?: string,
  ): Promise<ExperimentView> {
    return this.transition(
      key,
      'ship',
      ['running', 'stopped'],
      'shipped',
      actor,
      requestId,
      async (row, now) => {
        const variation = row.variations.find((v) => v.key === input.variation);
        if (!variation)
          throw validationFailed([
            {
              path: 'body.variation',
              message: `no variation '${input.variation}'; one of ${row.variations.map((v) => v.key).join(', ')}`,
            },
          ]);
        if (row.status === 'running') await this.endPhase(row, now);
        const publish = await this.flagWriter(actor, requestId).ship(row, variation.value);
        return { publish, extra: {}, patch: { shippedVariation: variation.key } };
      },
    );
  }

  /** Draft, running or stopped → abandoned: removes the experiment rule if it is running. */
  async abandon(key: string, actor: Actor, requestId?: string): Promise<ExperimentView> {
    return this.transition(
      key,
      'abandon',
      ['draft', 'running', 'stopped'],
      'abandoned',
      actor,
      requestId,
      async (row, now) => {
        if (row.status !== 'running') return { publish: () => {}, extra: {} };
        await this.endPhase(row, now);
        return { publish: await this.flagWriter(actor, requestId).remove(row), extra: {} };
      },
    );
  }

  /** Drafts only: once started, an experiment has exposures and is abandoned rather than deleted. */
  async delete(key: string, actor: Actor, requestId?: string): Promise<void> {
    await this.deps.db.transaction(async () => {
      const row = await this.reader.row(key);
      if (row.status !== 'draft') throw wrongStatus(row, 'be deleted (abandon it instead)', ['draft']);
      const before = await this.reader.view(row);
      await this.deps.experiments.delete(row.id);
      await this.record(actor, 'experiment.delete', row, before, undefined, requestId);
    });
  }

  private async transition<E extends object>(
    key: string,
    action: string,
    from: ExperimentStatus[],
    to: ExperimentStatus,
    actor: Actor,
    requestId: string | undefined,
    apply: (
      row: ExperimentRow,
      now: Date,
    ) => Promise<{ publish: () => void; extra: E; patch?: Partial<ExperimentRow> }>,
  ): Promise<ExperimentView & E> {
    const { result, publish } = await this.deps.db.transaction(async () => {
      const row = await this.reader.row(key);
      if (!from.includes(row.status)) throw wrongStatus(row, action, from);
      const before = await this.reader.view(row);
      const now = this.deps.clock.now();
      const { publish, extra, patch } = await apply(row, now);
      const updated: ExperimentRow = { ...row, ...patch, status: to, updatedAt: now };
      await this.deps.experiments.update(row.id, { ...patch, status: to, updatedAt: now });
      const after = { ...(await this.reader.view(updated)), ...extra };
      await this.record(actor, `experiment.${action}`, row, before, after, requestId);
      return { result: after, publish };
    });
    publish();
    return result;
  }

  /**
   * Each planned goal metric's baseline over its pre-period before `start`. Measured before the
   * start's transaction, on a worker thread for a database file: one grouped pass over the
   * look-back's events (~1.5 s per million on the bench machine) must neither hold the writer's
   * lock nor stall the event loop.
   */
  private async baselines(key: string, start: Date): Promise<Map<string, Baseline | null>> {
    const row = await this.reader.row(key);
    const planned = (await this.reader.analysisMetrics(row)).filter(
      (m) => m.role === 'goal' && planEffect(row.plan, m.key) !== null,
    );
    if (planned.length === 0) return new Map();
    const { db } = this.deps;
    const measured =
      db.location === ':memory:'
        ? planned.map((m) => measureBaseline(db.sqlite, row.environmentId, m, start))
        : await measureBaselinesInThread(db.location, row.environmentId, planned, start);
    return new Map(planned.map((m, i) => [m.key, measured[i] ?? null]));
  }

  /** The plan turned into sample sizes and the sequential tuning. */
  private async planning(
    row: ExperimentRow,
    baselines: Map<string, Baseline | null>,
    now: Date,
  ): Promise<ExperimentPlanning> {
    const goalMetrics = (await this.reader.analysisMetrics(row)).filter((m) => m.role === 'goal');
    return derivePlanning({
      plan: row.plan,
      settings: row.settings,
      weights: row.variations.map((v) => v.weight),
      goalMetrics,
      baselines,
      now,
    });
  }

  private flagWriter(actor: Actor, requestId: string | undefined): ExperimentFlagWriter {
    return new ExperimentFlagWriter(this.deps, actor, requestId);
  }

  private async endPhase(row: ExperimentRow, now: Date): Promise<void> {
    const current = (await this.deps.experiments.phases(row.id)).at(-1);
    if (current && current.endedAt === null)
      await this.deps.experiments.endPhase(row.id, current.number, now);
  }

  private record(
    actor: Actor,
    action: string,
    row: ExperimentRow,
    before: unknown,
    after: unknown,
    requestId: string | undefined,
  ): Promise<void> {
    return this.deps.audit.record({
      actor,
      action,
      targetType: 'experiment',
      targetId: row.id,
      before,
      after,
      requestId,
    });
  }
}
