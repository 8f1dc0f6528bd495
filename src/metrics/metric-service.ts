import type { z } from '@hono/zod-openapi';
import type { Actor } from '../audit/actor.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { newId } from '../auth/secrets.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import { conflict, notFound, validationFailed } from '../errors.ts';
import type { CreateMetric, UpdateMetric } from './metric-schemas.ts';
import type { MetricRow, MetricStore } from './metric-store.ts';

type Definition = Omit<MetricRow, 'id' | 'key' | 'createdAt' | 'updatedAt'>;
interface Issue {
  path: string;
  message: string;
}

/** Per-unit values of the kinds that capping does not apply to. */
const UNCAPPED_VALUES: Partial<Record<Definition['kind'], string>> = {
  binomial: '0 or 1',
  retention: '0 or 1',
  repeat: '0 or 1',
  nps: '−100, 0 or +100',
};

/** The effect a kind's headline reports when none is given: NPS points for `nps`, a lift otherwise. */
export function defaultHeadlineEffect(kind: Definition['kind']): Definition['headlineEffect'] {
  return kind === 'nps' ? 'absolute' : 'relative';
}

/** Defaults that depend on the kind: a repeat metric given no `repeat` counts from 2 events. */
function withKindDefaults(m: Definition): Definition {
  return m.kind === 'repeat' && !m.repeat ? { ...m, repeat: { atLeast: 2 } } : m;
}

/** Rules that span fields: which kinds take a denominator, a retention window, a repeat count or capping. */
export function metricIssues(m: Definition): Issue[] {
  const issues: Issue[] = [];
  if (m.kind === 'ratio' && !m.denominatorEventName)
    issues.push({ path: 'body.denominatorEventName', message: 'is required for ratio metrics' });
  if (m.kind !== 'ratio' && m.denominatorEventName)
    issues.push({ path: 'body.denominatorEventName', message: 'is only for ratio metrics (leave it null)' });
  if (m.kind === 'retention') {
    if (!m.retention)
      issues.push({
        path: 'body.retention',
        message: 'is required for retention metrics: { fromDays, toDays }',
      });
    else if (m.retention.fromDays >= m.retention.toDays)
      issues.push({ path: 'body.retention.toDays', message: 'must be greater than fromDays' });
  } else if (m.retention) {
    issues.push({ path: 'body.retention', message: 'is only for retention metrics (leave it null)' });
  }
  if (m.kind !== 'repeat' && m.repeat)
    issues.push({ path: 'body.repeat', message: 'is only for repeat metrics (leave it null)' });
  const values = UNCAPPED_VALUES[m.kind];
  if (m.capping && values)
    issues.push({
      path: 'body.capping',
      message: `does not apply to ${m.kind} metrics (values are ${values})`,
    });
  return issues;
}

export class MetricService {
  constructor(private readonly deps: { db: Db; metrics: MetricStore; audit: AuditLog; clock: Clock }) {}

  list(): Promise<MetricRow[]> {
    return this.deps.metrics.list();
  }

  async get(key: string): Promise<MetricRow> {
    const metric = await this.deps.metrics.byKey(key);
    if (!metric) throw notFound('metric', key);
    return metric;
  }

  async create(input: z.output<typeof CreateMetric>, actor: Actor, requestId?: string): Promise<MetricRow> {
    const { key, headlineEffect, ...rest } = input;
    const definition = withKindDefaults({
      ...rest,
      headlineEffect: headlineEffect ?? defaultHeadlineEffect(rest.kind),
    });
    check(definition);
    return this.deps.db.transaction(async () => {
      if (await this.deps.metrics.byKey(key)) throw conflict(`metric '${key}' already exists`);
      const now = this.deps.clock.now();
      const metric: MetricRow = { id: newId('met'), key, ...definition, createdAt: now, updatedAt: now };
      await this.deps.metrics.insert(metric);
      await this.deps.audit.record({
        actor,
        action: 'metric.create',
        targetType: 'metric',
        targetId: metric.id,
        after: metric,
        requestId,
      });
      return metric;
    });
  }

  async update(
    key: string,
    patch: z.output<typeof UpdateMetric>,
    actor: Actor,
    requestId?: string,
  ): Promise<MetricRow> {
    return this.deps.db.transaction(async () => {
      const before = await this.get(key);
      const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const { id: _id, key: _key, createdAt: _c, updatedAt: _u, ...current } = before;
      const next: Definition = { ...current, ...changes };
      // A new kind without a headline effect: a default one follows the kind, a chosen one stays.
      if (
        patch.headlineEffect === undefined &&
        next.kind !== current.kind &&
        current.headlineEffect === defaultHeadlineEffect(current.kind)
      )
        next.headlineEffect = defaultHeadlineEffect(next.kind);
      const definition = withKindDefaults(next);
      check(definition);
      await this.deps.metrics.update(before.id, { ...definition, updatedAt: this.deps.clock.now() });
      const after = (await this.deps.metrics.byKey(key))!;
      await this.deps.audit.record({
        actor,
        action: 'metric.update',
        targetType: 'metric',
        targetId: before.id,
        before,
        after,
        requestId,
      });
      return after;
    });
  }

  /** Refused while any experiment (whatever its status) uses the metric: its results depend on it. */
  async delete(key: string, actor: Actor, requestId?: string): Promise<void> {
    await this.deps.db.transaction(async () => {
      const metric = await this.get(key);
      const users = await this.deps.metrics.experimentsUsing(metric.id);
      if (users.length > 0)
        throw conflict(`metric '${key}' is used by experiment(s) ${users.join(', ')}`, {
          experiments: users,
        });
      await this.deps.metrics.delete(metric.id);
      await this.deps.audit.record({
        actor,
        action: 'metric.delete',
        targetType: 'metric',
        targetId: metric.id,
        before: metric,
        requestId,
      });
    });
  }
}

function check(definition: Definition): void {
  const issues = metricIssues(definition);
  if (issues.length > 0) throw validationFailed(issues);
}
