import type { Actor } from '../audit/actor.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { newId } from '../auth/secrets.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import { AppError, conflict, notFound } from '../errors.ts';
import { newEncryptionKey } from '../sdk-api/encrypt-payload.ts';
import type { RulesetChanges } from '../sdk-api/ruleset-changes.ts';
import type { Environment, EnvironmentStore } from './environment-store.ts';

export const defaultEnvironments = [
  { key: 'development', name: 'Development' },
  { key: 'production', name: 'Production' },
];

export interface EnvironmentPatch {
  key?: string;
  name?: string;
  allowClientRuleset?: boolean;
  /** Whether flags that do not say (new flags) are served to client keys. */
  defaultAvailableToClientKeys?: boolean;
  /** true creates an encryption key (kept if there is one), false removes it. */
  encryptRuleset?: boolean;
}

export class EnvironmentService {
  constructor(
    private readonly deps: {
      db: Db;
      environments: EnvironmentStore;
      audit: AuditLog;
      clock: Clock;
      changes: RulesetChanges;
    },
  ) {}

  list(): Promise<Environment[]> {
    return this.deps.environments.list();
  }

  async get(key: string): Promise<Environment> {
    const environment = await this.deps.environments.byKey(key);
    if (!environment) throw notFound('environment', key);
    return environment;
  }

  create(input: { key: string; name: string }, actor: Actor, requestId?: string): Promise<Environment> {
    const { db, environments, audit, clock } = this.deps;
    return db.transaction(async () => {
      if (await environments.byKey(input.key)) throw conflict(`environment '${input.key}' already exists`);
      const now = clock.now();
      const environment: Environment = {
        id: newId('env'),
        ...input,
        allowClientRuleset: false,
        defaultAvailableToClientKeys: false,
        encryptionKey: null,
        revision: 1,
        createdAt: now,
        updatedAt: now,
      };
      await environments.insert(environment);
      await audit.record({
        actor,
        action: 'environment.create',
        targetType: 'environment',
        targetId: environment.id,
        after: environment,
        requestId,
      });
      return environment;
    });
  }

  async update(key: string, patch: EnvironmentPatch, actor: Actor, requestId?: string): Promise<Environment> {
    const { db, environments, audit, clock, changes } = this.deps;
    if (Object.values(patch).every((value) => value === undefined)) {
      throw new AppError(
        'validation_failed',
        'body: give at least one of key, name, allowClientRuleset, defaultAvailableToClientKeys, encryptRuleset',
      );
    }
    const { after, changed } = await db.transaction(async () => {
      const before = await this.get(key);
      if (patch.key !== undefined && patch.key !== key && (await environments.byKey(patch.key))) {
        throw conflict(`environment '${patch.key}' already exists`);
      }
      const { encryptRuleset, ...rest } = patch;
      const encryptionKey =
        encryptRuleset === undefined
          ? before.encryptionKey
          : encryptRuleset
            ? (before.encryptionKey ?? newEncryptionKey())
            : null;
      await environments.update(before.id, { ...rest, encryptionKey, updatedAt: clock.now() });
      const servingChanged =
        rest.allowClientRuleset !== undefined ||
        rest.defaultAvailableToClientKeys !== undefined ||
        encryptionKey !== before.encryptionKey;
      const changed = servingChanged ? await environments.bumpRevision([before.id]) : [];
      const after = (await environments.byId(before.id))!;
      await audit.record({
        actor,
        action: 'environment.update',
        targetType: 'environment',
        targetId: before.id,
        before,
        after,
        requestId,
      });
      return { after, changed };
    });
    changes.publish(changed);
    return after;
  }

  /** Creates the default environments on an empty database. */
  async seed(actor: Actor): Promise<void> {
    if ((await this.deps.environments.list()).length > 0) return;
    for (const environment of defaultEnvironments) await this.create(environment, actor);
  }
}
