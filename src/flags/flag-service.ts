import { checkManagedRules } from './managed-rules.ts';
import type { z } from '@hono/zod-openapi';
import type { Actor } from '../audit/actor.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { newId } from '../auth/secrets.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import type { Environment, EnvironmentStore } from '../environments/environment-store.ts';
import { AppError, conflict, notFound, validationFailed } from '../errors.ts';
import { jsonValueIssue, type JsonLimits } from '../json-limits.ts';
import type { RulesetChanges } from '../sdk-api/ruleset-changes.ts';
import type { SegmentStore } from '../segments/segment-store.ts';
import type { CreateFlag, PatchFlagConfig, PutFlagConfig, Rule, UpdateFlag } from './flag-schemas.ts';
import type { FlagConfigRow, FlagFilter, FlagRow, FlagStore } from './flag-store.ts';
import { valueTypeError } from './flag-values.ts';
import { flagsRequiredBy } from './rule-references.ts';
import { checkRules } from './rule-checks.ts';

export interface FlagConfig {
  environment: string;
  enabled: boolean;
  rules: Rule[];
  version: number;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export interface FlagView extends Omit<FlagRow, 'archivedAt'> {
  archived: boolean;
  environments?: FlagConfig[];
}

/** Other parts of the service (experiments, ramps) that may hold on to a flag. */
export type FlagReferenceCheck = (flag: FlagRow) => Promise<string[]>;

const toView = ({ archivedAt, ...flag }: FlagRow): FlagView => ({ ...flag, archived: archivedAt !== null });

export class FlagService {
  private readonly referenceChecks: FlagReferenceCheck[] = [];

  constructor(
    private readonly deps: {
      db: Db;
      flags: FlagStore;
      segments: SegmentStore;
      environments: EnvironmentStore;
      audit: AuditLog;
      clock: Clock;
      changes: RulesetChanges;
      limits: JsonLimits;
    },
  ) {}

  /** Lets experiments and ramps veto the deletion of a flag they use. */
  addReferenceCheck(check: FlagReferenceCheck): void {
    this.referenceChecks.push(check);
  }

  async list(filter: FlagFilter): Promise<FlagView[]> {
    return (await this.deps.flags.find(filter)).map(toView);
  }

  async get(key: string, withConfigs = true): Promise<FlagView> {
    const flag = await this.row(key);
    if (!withConfigs) return toView(flag);
    const [configs, environments] = await Promise.all([
      this.deps.flags.configs(flag.id),
      this.deps.environments.list(),
    ]);
    const byEnv = new Map(configs.map((c) => [c.environmentId, c]));
    return {
      ...toView(flag),
      environments: environments.map((env) => this.configView(env, byEnv.get(env.id))),
    };
  }

  async create(input: z.output<typeof CreateFlag>, actor: Actor, requestId?: string): Promise<FlagView> {
    this.checkDefaultValue(input.valueType, input.defaultValue);
    return this.mutate(async () => {
      if (await this.deps.flags.byKey(input.key)) throw conflict(`flag '${input.key}' already exists`);
      const now = this.deps.clock.now();
      const flag: FlagRow = {
        id: newId('flg'),
        ...input,
        owner: input.owner ?? null,
        // Unsaid: as each environment's defaultAvailableToClientKeys says (off unless changed).
        availableToClientKeys: input.availableToClientKeys ?? null,
        archivedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await this.deps.flags.insert(flag);
      await this.deps.audit.record({
        actor,
        action: 'flag.create',
        targetType: 'flag',
        targetId: flag.id,
        after: toView(flag),
        requestId,
      });
      return { result: toView(flag), changed: 'all' };
    });
  }

  async update(
    key: string,
    patch: z.output<typeof UpdateFlag>,
    actor: Actor,
    requestId?: string,
  ): Promise<FlagView> {
    return this.mutate(async () => {
      const before = await this.row(key);
      if (patch.defaultValue !== undefined) this.checkDefaultValue(before.valueType, patch.defaultValue);
      await this.deps.flags.update(before.id, { ...patch, updatedAt: this.deps.clock.now() });
      const after = await this.row(key);
      await this.deps.audit.record({
        actor,
        action: 'flag.update',
        targetType: 'flag',
        targetId: before.id,
        before: toView(before),
        after: toView(after),
        requestId,
      });
      return { result: toView(after), changed: 'all' };
    });
  }

  /** Archived flags leave every ruleset (SDKs then serve their code fallback); nothing is lost. */
  async setArchived(key: string, archived: boolean, actor: Actor, requestId?: string): Promise<FlagView> {
    return this.mutate(async () => {
      const before = await this.row(key);
      await this.deps.flags.update(before.id, {
        archivedAt: archived ? this.deps.clock.now() : null,
        updatedAt: this.deps.clock.now(),
      });
      const after = await this.row(key);
      await this.deps.audit.record({
        actor,
        action: archived ? 'flag.archive' : 'flag.unarchive',
        targetType: 'flag',
        targetId: before.id,
        before: toView(before),
        after: toView(after),
        requestId,
      });
      return { result: toView(after), changed: 'all' };
    });
  }

  async delete(key: string, actor: Actor, requestId?: string): Promise<void> {
    await this.mutate(async () => {
      const flag = await this.row(key);
      const holders = (await Promise.all(this.referenceChecks.map((check) => check(flag)))).flat();
      const dependants = (await this.deps.flags.allConfigs())
        .filter((c) => c.flagId !== flag.id && flagsRequiredBy(c.rules as Rule[]).has(key))
        .map((c) => `flag ${c.flagKey}`);
      const all = [...new Set([...holders, ...dependants])];
      if (all.length > 0)
        throw conflict(`flag '${key}' is still referenced by ${all.join(', ')}; archive it instead`, {
          references: all,
        });
      await this.deps.flags.delete(flag.id);
      await this.deps.audit.record({
        actor,
        action: 'flag.delete',
        targetType: 'flag',
        targetId: flag.id,
        before: toView(flag),
        requestId,
      });
      return { result: undefined, changed: 'all' };
    });
  }

  async getConfig(key: string, environmentKey: string): Promise<FlagConfig> {
    const [flag, env] = await Promise.all([this.row(key), this.environment(environmentKey)]);
    return this.configView(env, await this.deps.flags.config(flag.id, env.id));
  }

  /** Replaces a flag's configuration in one environment (optimistic concurrency on `version`). */
  async putConfig(
    key: string,
    environmentKey: string,
    input: z.output<typeof PutFlagConfig>,
    ifMatch: number | undefined,
    actor: Actor,
    requestId?: string,
  ): Promise<FlagConfig> {
    return this.updateConfig(
      key,
      environmentKey,
      ifMatch ?? input.version,
      true,
      actor,
      requestId,
      async (flag, current) => {
        const rules = await checkRules(flag, input.rules, this.deps);
        checkManagedRules(current.rules, rules);
        return { enabled: input.enabled, rules };
      },
    );
  }

  /** The kill switch, rule order and single rules on/off. */
  async patchConfig(
    key: string,
    environmentKey: string,
    input: z.output<typeof PatchFlagConfig>,
    ifMatch: number | undefined,
    actor: Actor,
    requestId?: string,
  ): Promise<FlagConfig> {
    // Nothing to change is a mistake to report, not a new version (which would make every other
    // editor's If-Match stale and send every SDK the same ruleset again).
    if (input.enabled === undefined && input.ruleOrder === undefined && input.ruleEnabled === undefined) {
      throw validationFailed([
        { path: 'body', message: 'give at least one of enabled, ruleOrder, ruleEnabled' },
      ]);
    }
    // Flipping the kill switch is safe to repeat, so it may skip the version in an emergency.
    const needsVersion = input.ruleOrder !== undefined || input.ruleEnabled !== undefined;
    return this.updateConfig(
      key,
      environmentKey,
      ifMatch ?? input.version,
      needsVersion,
      actor,
      requestId,
      async (_flag, current) => {
        let rules = current.rules;
        if (input.ruleOrder) {
          const ids = current.rules.map((r) => r.id);
          if (input.ruleOrder.length !== ids.length || !ids.every((id) => input.ruleOrder!.includes(id))) {
            throw validationFailed([
              {
                path: 'body.ruleOrder',
                message: `must list every rule id exactly once: ${ids.join(', ') || '(no rules)'}`,
              },
            ]);
          }
          rules = input.ruleOrder.map((id) => current.rules.find((r) => r.id === id)!);
        }
        for (const [id, enabled] of Object.entries(input.ruleEnabled ?? {})) {
          if (!rules.some((r) => r.id === id))
            throw validationFailed([{ path: `body.ruleEnabled.${id}`, message: 'no rule with this id' }]);
          rules = rules.map((r) => (r.id === id ? { ...r, enabled } : r));
        }
        checkManagedRules(current.rules, rules);
        return { enabled: input.enabled ?? current.enabled, rules };
      },
    );
  }

  private async updateConfig(
    key: string,
    environmentKey: string,
    expectedVersion: number | undefined,
    versionRequired: boolean,
    actor: Actor,
    requestId: string | undefined,
    next: (flag: FlagRow, current: FlagConfig) => Promise<{ enabled: boolean; rules: Rule[] }>,
  ): Promise<FlagConfig> {
    if (versionRequired && expectedVersion === undefined) {
      throw new AppError(
        'precondition_required',
        'Send the version you read, as the If-Match header or body.version',
      );
    }
    return this.mutate(async () => {
      const { after, changed } = await this.writeConfig(
        key,
        environmentKey,
        expectedVersion,
        actor,
        requestId,
        next,
      );
      return { result: after, changed };
    });
  }

  /**
   * Changes a flag's config in one environment inside the caller's open transaction (`db.transaction`
   * is not reentrant): experiments write their rule in the same transaction as their own change. No
   * version check; the rules are validated like putConfig's. Call `publish()` after the commit.
   */
  async applyConfigChange(
    key: string,
    environmentKey: string,
    actor: Actor,
    requestId: string | undefined,
    next: (current: FlagConfig) => { enabled: boolean; rules: Rule[] },
  ): Promise<{ before: FlagConfig; after: FlagConfig; publish: () => void }> {
    const { before, after, changed } = await this.writeConfig(
      key,
      environmentKey,
      undefined,
      actor,
      requestId,
      async (flag, current) => {
        const { enabled, rules } = next(current);
        return { enabled, rules: await checkRules(flag, rules, this.deps) };
      },
    );
    const environments = await this.deps.environments.bumpRevision(changed);
    return { before, after, publish: () => this.deps.changes.publish(environments) };
  }

  private async writeConfig(
    key: string,
    environmentKey: string,
    expectedVersion: number | undefined,
    actor: Actor,
    requestId: string | undefined,
    next: (flag: FlagRow, current: FlagConfig) => Promise<{ enabled: boolean; rules: Rule[] }>,
  ): Promise<{ before: FlagConfig; after: FlagConfig; changed: string[] }> {
    const [flag, env] = await Promise.all([this.row(key), this.environment(environmentKey)]);
    const current = this.configView(env, await this.deps.flags.config(flag.id, env.id));
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw conflict(
        `version ${expectedVersion} is stale: the config is at version ${current.version}; reload and reapply your change`,
        { currentVersion: current.version, current },
      );
    }
    const { enabled, rules } = await next(flag, current);
    const row: FlagConfigRow = {
      flagId: flag.id,
      environmentId: env.id,
      enabled,
      rules,
      version: current.version + 1,
      updatedAt: this.deps.clock.now(),
      updatedBy: actor.label,
    };
    await this.deps.flags.upsertConfig(row);
    const after = this.configView(env, row);
    await this.deps.audit.record({
      actor,
      action: 'flag.config.update',
      targetType: 'flag',
      targetId: flag.id,
      before: current,
      after,
      requestId,
    });
    return { before: current, after, changed: [env.id] };
  }

  /** Runs a change in a transaction, bumps the affected rulesets' revision, then tells listeners. */
  private async mutate<T>(fn: () => Promise<{ result: T; changed: string[] | 'all' }>): Promise<T> {
    const { result, environments } = await this.deps.db.transaction(async () => {
      const { result, changed } = await fn();
      return { result, environments: await this.deps.environments.bumpRevision(changed) };
    });
    this.deps.changes.publish(environments);
    return result;
  }

  /** A default value of the flag's type, within the size and depth limits: else a 400 naming it. */
  private checkDefaultValue(valueType: FlagRow['valueType'], value: unknown): void {
    const limitIssue = jsonValueIssue(value, 'body.defaultValue', this.deps.limits);
    if (limitIssue) throw validationFailed([limitIssue]);
    // The column is NOT NULL: a JSON null default would fail as a 500 on insert.
    const typeError = value === null ? 'must not be null' : valueTypeError(valueType, value);
    if (typeError) throw validationFailed([{ path: 'body.defaultValue', message: typeError }]);
  }

  private async row(key: string): Promise<FlagRow> {
    const flag = await this.deps.flags.byKey(key);
    if (!flag) throw notFound('flag', key);
    return flag;
  }

  private async environment(key: string): Promise<Environment> {
    const env = await this.deps.environments.byKey(key);
    if (!env) throw notFound('environment', key);
    return env;
  }

  private configView(env: Environment, row: FlagConfigRow | undefined): FlagConfig {
    if (!row)
      return {
        environment: env.key,
        enabled: false,
        rules: [],
        version: 0,
        updatedAt: null,
        updatedBy: null,
      };
    return {
      environment: env.key,
      enabled: row.enabled,
      rules: row.rules as Rule[],
      version: row.version,
      updatedAt: row.updatedAt,
      updatedBy: row.updatedBy,
    };
  }
}
