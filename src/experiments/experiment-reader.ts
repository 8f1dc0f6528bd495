// Reads experiments: their API view, the analysis spec, and the lookups that validate new input.
import { conflict, notFound } from '../errors.ts';
import type { Environment, EnvironmentStore } from '../environments/environment-store.ts';
import type { FlagRow, FlagStore } from '../flags/flag-store.ts';
import type { MetricStore } from '../metrics/metric-store.ts';
import { ANALYSIS_DEFAULTS } from '../stats/index.ts';
import type {
  AnalysisMetric,
  AnalysisSpec,
  ExperimentPlan,
  ExperimentPlanning,
  ExperimentSettings,
  ExperimentStatus,
  MetricRole,
} from './analysis-spec.ts';
import type { Issue, Variation } from './experiment-rules.ts';
import type { ExperimentMetricRef, ExperimentRow, ExperimentStore, PhaseRow } from './experiment-store.ts';

export interface ExperimentView {
  id: string;
  key: string;
  name: string;
  hypothesis: string;
  flag: string;
  environment: string;
  variations: Variation[];
  coverage: number;
  hashAttribute: string;
  goalMetrics: string[];
  secondaryMetrics: string[];
  guardrailMetrics: string[];
  settings: ExperimentSettings;
  plan: ExperimentPlan | null;
  planning: ExperimentPlanning | null;
  status: ExperimentStatus;
  shippedVariation: string | null;
  phases: Omit<PhaseRow, 'experimentId'>[];
  createdAt: Date;
  updatedAt: Date;
}

export const ROLES: MetricRole[] = ['goal', 'secondary', 'guardrail'];
export const roleField = {
  goal: 'goalMetrics',
  secondary: 'secondaryMetrics',
  guardrail: 'guardrailMetrics',
} as const;

export class ExperimentReader {
  constructor(
    private readonly deps: {
      experiments: ExperimentStore;
      metrics: MetricStore;
      flags: FlagStore;
      environments: EnvironmentStore;
    },
  ) {}

  async list(): Promise<ExperimentView[]> {
    return Promise.all((await this.deps.experiments.list()).map((row) => this.view(row)));
  }

  async get(key: string): Promise<ExperimentView> {
    return this.view(await this.row(key));
  }

  /**
   * What the analysis needs: settings, the current phase (or phase `phaseNumber`), the variations
   * with that phase's weights, and the full metric definitions. Drafts have no phase: 409.
   */
  async getAnalysisSpec(key: string, phaseNumber?: number): Promise<AnalysisSpec> {
    const row = await this.row(key);
    const phases = await this.deps.experiments.phases(row.id);
    const phase = phaseNumber === undefined ? phases.at(-1) : phases.find((p) => p.number === phaseNumber);
    if (!phase)
      throw phaseNumber === undefined
        ? conflict(`experiment '${key}' is a draft: it has no phase to analyse yet`, { status: row.status })
        : notFound('phase', `${key}/${phaseNumber}`);
    const [env, metrics] = await Promise.all([
      this.deps.environments.byId(row.environmentId),
      this.analysisMetrics(row),
    ]);
    return {
      experiment: {
        id: row.id,
        key: row.key,
        environmentId: row.environmentId,
        environmentKey: env?.key ?? row.environmentId,
        flagKey: row.flagKey,
        status: row.status,
        // Set at the start; an experiment started before plans existed kept its explicit N*.
        settings: {
          ...row.settings,
          sequentialTuning: row.settings.sequentialTuning ?? ANALYSIS_DEFAULTS.sequentialTuning,
        },
        plan: row.plan,
        planning: row.planning,
      },
      phase: {
        number: phase.number,
        startedAt: phase.startedAt,
        endedAt: phase.endedAt,
        weights: phase.weights,
        coverage: phase.coverage,
      },
      variations: row.variations.map((v, i) => ({ key: v.key, weight: phase.weights[i] ?? v.weight })),
      metrics,
    };
  }

  /** The experiment's metrics with their full definitions: goal, then secondary, then guardrail. */
  async analysisMetrics(row: ExperimentRow): Promise<AnalysisMetric[]> {
    const refs = await this.deps.experiments.metrics(row.id);
    const byId = new Map((await this.deps.metrics.byIds(refs.map((r) => r.metricId))).map((m) => [m.id, m]));
    return refs.map(({ role, metricId }) => {
      const m = byId.get(metricId)!;
      return {
        role,
        key: m.key,
        name: m.name,
        kind: m.kind,
        eventName: m.eventName,
        denominatorEventName: m.denominatorEventName,
        direction: m.direction,
        windowHours: m.windowHours,
        retention: m.retention,
        capping: m.capping,
        cupedLookbackDays: m.cupedLookbackDays,
        repeat: m.repeat,
        headlineEffect: m.headlineEffect,
      };
    });
  }

  async row(key: string): Promise<ExperimentRow> {
    const row = await this.deps.experiments.byKey(key);
    if (!row) throw notFound('experiment', key);
    return row;
  }

  async view(row: ExperimentRow): Promise<ExperimentView> {
    const [env, refs, phases] = await Promise.all([
      this.deps.environments.byId(row.environmentId),
      this.deps.experiments.metrics(row.id),
      this.deps.experiments.phases(row.id),
    ]);
    const keyOf = new Map(
      (await this.deps.metrics.byIds(refs.map((r) => r.metricId))).map((m) => [m.id, m.key]),
    );
    const keys = (role: MetricRole) => refs.filter((r) => r.role === role).map((r) => keyOf.get(r.metricId)!);
    return {
      id: row.id,
      key: row.key,
      name: row.name,
      hypothesis: row.hypothesis,
      flag: row.flagKey,
      environment: env?.key ?? row.environmentId,
      variations: row.variations,
      coverage: row.coverage,
      hashAttribute: row.hashAttribute,
      goalMetrics: keys('goal'),
      secondaryMetrics: keys('secondary'),
      guardrailMetrics: keys('guardrail'),
      settings: row.settings,
      plan: row.plan,
      planning: row.planning,
      status: row.status,
      shippedVariation: row.shippedVariation,
      phases: phases.map(({ experimentId: _, ...phase }) => phase),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  /** Resolves the flag and environment keys; unknown ones become issues naming the field. */
  async target(
    flagKey: string,
    environmentKey: string | undefined,
    issues: Issue[],
  ): Promise<{ flag?: FlagRow; env?: Environment }> {
    const flag = await this.deps.flags.byKey(flagKey);
    if (!flag) issues.push({ path: 'body.flag', message: `unknown flag '${flagKey}'` });
    else if (flag.archivedAt) issues.push({ path: 'body.flag', message: `flag '${flagKey}' is archived` });
    if (environmentKey === undefined) return { flag };
    const env = await this.deps.environments.byKey(environmentKey);
    if (!env) issues.push({ path: 'body.environment', message: `unknown environment '${environmentKey}'` });
    return { flag, env };
  }

  /**
   * `sent`: the request's own lists (a PATCH's); those it did not send are the stored ones, and a
   * metric they hold is blamed on the list sent (the only one the caller can see in its request).
   */
  async metricRefs(
    input: Pick<ExperimentView, 'goalMetrics' | 'secondaryMetrics' | 'guardrailMetrics'>,
    issues: Issue[],
    sent: Partial<Record<(typeof roleField)[MetricRole], unknown>> = input,
  ): Promise<ExperimentMetricRef[]> {
    const keys = ROLES.flatMap((role) => input[roleField[role]]);
    const byKey = new Map((await this.deps.metrics.byKeys([...new Set(keys)])).map((m) => [m.key, m]));
    const refs = new Map<MetricRole, ExperimentMetricRef[]>(ROLES.map((role) => [role, []]));
    // A metric has one role: in two it would be reported twice, corrected as a goal and not as a
    // secondary or guardrail metric, with two answers to one question.
    const seen = new Map<string, string>();
    const isSent = (role: MetricRole) => Number(sent[roleField[role]] !== undefined);
    for (const role of [...ROLES].sort((a, b) => isSent(a) - isSent(b))) {
      const field = roleField[role];
      input[field].forEach((key, i) => {
        const metric = byKey.get(key);
        const first = seen.get(key);
        if (!metric) issues.push({ path: `body.${field}.${i}`, message: `unknown metric '${key}'` });
        else if (first !== undefined)
          issues.push({
            path: `body.${field}.${i}`,
            message: first === field ? `'${key}' is listed twice` : `'${key}' is already listed in ${first}`,
          });
        else refs.get(role)!.push({ role, metricId: metric.id });
        seen.set(key, first ?? field);
      });
    }
    return ROLES.flatMap((role) => refs.get(role)!);
  }
}
