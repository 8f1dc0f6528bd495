import type { z } from '@hono/zod-openapi';
import type { Actor } from '../audit/actor.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { newId } from '../auth/secrets.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import type { EnvironmentStore } from '../environments/environment-store.ts';
import { conflict, notFound, validationFailed } from '../errors.ts';
import { validateCondition } from '../flags/condition-validator.ts';
import type { Rule } from '../flags/flag-schemas.ts';
import type { FlagStore } from '../flags/flag-store.ts';
import { segmentsUsedBy } from '../flags/rule-references.ts';
import { CONDITION_HINT } from '../flags/rule-checks.ts';
import { jsonValueIssue, type JsonLimits } from '../json-limits.ts';
import type { RulesetChanges } from '../sdk-api/ruleset-changes.ts';
import type { CreateSegment, SegmentDefinition } from './segment-schemas.ts';
import type { Segment, SegmentStore, SegmentSummary } from './segment-store.ts';

type Definition = z.output<typeof SegmentDefinition>;

/** Audit entries of id lists record the count, not 100k ids. */
const auditView = ({ ids, ...rest }: Segment) => ({
  ...rest,
  ...(ids ? { idsSample: ids.slice(0, 20) } : {}),
});

export class SegmentService {
  constructor(
    private readonly deps: {
      db: Db;
      segments: SegmentStore;
      flags: FlagStore;
      environments: EnvironmentStore;
      audit: AuditLog;
      clock: Clock;
      changes: RulesetChanges;
      limits: JsonLimits;
    },
  ) {}

  list(): Promise<SegmentSummary[]> {
    return this.deps.segments.list();
  }

  async get(key: string): Promise<Segment> {
    const segment = await this.deps.segments.byKey(key);
    if (!segment) throw notFound('segment', key);
    return segment;
  }

  async create(input: z.output<typeof CreateSegment>, actor: Actor, requestId?: string): Promise<Segment> {
    const { key, ...definition } = input;
    const segment = await this.deps.db.transaction(async () => {
      if (await this.deps.segments.byKey(key)) throw conflict(`segment '${key}' already exists`);
      const now = this.deps.clock.now();
      const segment: Segment = {
        id: newId('seg'),
        key,
        createdAt: now,
        updatedAt: now,
        ...this.columns(definition),
      };
      await this.deps.segments.insert(segment);
      await this.deps.audit.record({
        actor,
        action: 'segment.create',
        targetType: 'segment',
        targetId: segment.id,
        after: auditView(segment),
        requestId,
      });
      return segment;
    });
    return segment;
  }

  async replace(key: string, definition: Definition, actor: Actor, requestId?: string): Promise<Segment> {
    const { changed, segment } = await this.deps.db.transaction(async () => {
      const before = await this.get(key);
      await this.deps.segments.update(before.id, {
        ...this.columns(definition),
        updatedAt: this.deps.clock.now(),
      });
      const after = (await this.deps.segments.byKey(key))!;
      await this.deps.audit.record({
        actor,
        action: 'segment.update',
        targetType: 'segment',
        targetId: before.id,
        before: auditView(before),
        after: auditView(after),
        requestId,
      });
      return { changed: await this.deps.environments.bumpRevision('all'), segment: after };
    });
    this.deps.changes.publish(changed);
    return segment;
  }

  async delete(key: string, actor: Actor, requestId?: string): Promise<void> {
    await this.deps.db.transaction(async () => {
      const segment = await this.get(key);
      const users = (await this.deps.flags.allConfigs())
        .filter((config) => segmentsUsedBy(config.rules as Rule[]).has(key))
        .map((config) => config.flagKey);
      if (users.length > 0) {
        throw conflict(`segment '${key}' is used by flag(s) ${[...new Set(users)].join(', ')}`, {
          flags: [...new Set(users)],
        });
      }
      await this.deps.segments.delete(segment.id);
      await this.deps.audit.record({
        actor,
        action: 'segment.delete',
        targetType: 'segment',
        targetId: segment.id,
        before: auditView(segment),
        requestId,
      });
    });
  }

  private columns(definition: Definition): Omit<Segment, 'id' | 'key' | 'createdAt' | 'updatedAt'> {
    if (definition.kind === 'condition') {
      // Size and depth first: the validator walks a condition recursively, only a bounded one.
      const limitIssue = jsonValueIssue(
        definition.condition,
        'body.condition',
        this.deps.limits,
        CONDITION_HINT,
      );
      const issues = limitIssue ? [limitIssue] : validateCondition(definition.condition, 'body.condition');
      if (issues.length > 0) {
        throw validationFailed(issues);
      }
      return {
        name: definition.name,
        description: definition.description,
        kind: 'condition',
        condition: definition.condition,
        attribute: null,
        ids: null,
        idCount: 0,
      };
    }
    const ids = [...new Set(definition.ids)];
    return {
      name: definition.name,
      description: definition.description,
      kind: 'ids',
      condition: null,
      attribute: definition.attribute,
      ids,
      idCount: ids.length,
    };
  }
}
