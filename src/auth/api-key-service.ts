import type { Actor } from '../audit/actor.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import type { EnvironmentStore } from '../environments/environment-store.ts';
import { AppError, notFound } from '../errors.ts';
import type { ApiKey, ApiKeyStore, KeyKind } from './api-key-store.ts';
import type { KeyCache } from './key-cache.ts';
import { isKeyShaped, KEY_SHAPE_MESSAGE } from './key-shape.ts';
import { newId, randomToken, sha256 } from './secrets.ts';

/**
 * What listings show of a key: never the hash, never any part of the secret. A key is recognised
 * by its id (random, independent of the secret), which also names it in the audit log.
 */
export type PublicApiKey = Omit<ApiKey, 'hash' | 'environmentId'> & { environment: string | null };

/** The name of the admin key seeded from FLAGSTAFF_ADMIN_KEY. */
const seededKeyName = 'FLAGSTAFF_ADMIN_KEY';

export class ApiKeyService {
  constructor(
    private readonly deps: {
      db: Db;
      keys: ApiKeyStore;
      environments: EnvironmentStore;
      audit: AuditLog;
      clock: Clock;
      keyCache: KeyCache;
    },
  ) {}

  async list(): Promise<PublicApiKey[]> {
    const [keys, environments] = await Promise.all([this.deps.keys.list(), this.deps.environments.list()]);
    const envKey = new Map(environments.map((e) => [e.id, e.key]));
    return keys.map((key) => this.toPublic(key, key.environmentId ? envKey.get(key.environmentId)! : null));
  }

  /**
   * Creates a key and returns its secret, which is never shown again.
   * `secret` lets the first start seed an admin key chosen by the operator (FLAGSTAFF_ADMIN_KEY).
   */
  async create(
    input: { kind: KeyKind; environment?: string; name: string; secret?: string },
    actor: Actor,
    requestId?: string,
  ): Promise<{ apiKey: PublicApiKey; secret: string }> {
    const created = await this.createInTransaction(input, actor, requestId);
    this.deps.keyCache.clear(); // the new key may be cached as unknown
    return created;
  }

  private createInTransaction(
    input: { kind: KeyKind; environment?: string; name: string; secret?: string },
    actor: Actor,
    requestId?: string,
  ): Promise<{ apiKey: PublicApiKey; secret: string }> {
    const { db, keys, environments, audit, clock } = this.deps;
    return db.transaction(async () => {
      let environmentId: string | null = null;
      if (input.kind === 'admin') {
        if (input.environment !== undefined) {
          throw new AppError(
            'validation_failed',
            'body.environment: admin keys are not bound to an environment',
          );
        }
      } else {
        if (input.environment === undefined) {
          throw new AppError('validation_failed', `body.environment: required for ${input.kind} keys`);
        }
        const environment = await environments.byKey(input.environment);
        if (!environment)
          throw new AppError('validation_failed', `body.environment: no environment '${input.environment}'`);
        environmentId = environment.id;
      }
      const secret = input.secret ?? `fs_${input.kind}_${randomToken(32)}`;
      // Tokens of another shape are refused before any lookup: such a key could never be used.
      if (!isKeyShaped(secret)) throw new Error(`an API key ${KEY_SHAPE_MESSAGE}`);
      const apiKey: ApiKey = {
        id: newId('key'),
        kind: input.kind,
        environmentId,
        name: input.name,
        hash: sha256(secret),
        createdAt: clock.now(),
        createdBy: actor.label,
        lastUsedAt: null,
        revokedAt: null,
      };
      await keys.insert(apiKey);
      const publicKey = this.toPublic(apiKey, input.environment ?? null);
      await audit.record({
        actor,
        action: 'key.create',
        targetType: 'key',
        targetId: apiKey.id,
        after: publicKey,
        requestId,
      });
      return { apiKey: publicKey, secret };
    });
  }

  async revoke(id: string, actor: Actor, requestId?: string): Promise<PublicApiKey> {
    const revoked = await this.revokeInTransaction(id, actor, requestId);
    this.deps.keyCache.clear(); // stop honouring it at once on this replica
    return revoked;
  }

  private revokeInTransaction(id: string, actor: Actor, requestId?: string): Promise<PublicApiKey> {
    const { db, keys, environments, audit, clock } = this.deps;
    return db.transaction(async () => {
      const key = await keys.byId(id);
      if (!key) throw notFound('key', id);
      const environment = key.environmentId ? (await environments.byId(key.environmentId))!.key : null;
      const before = this.toPublic(key, environment);
      if (key.revokedAt) return before;
      await keys.revoke(id, clock.now());
      const after = this.toPublic((await keys.byId(id))!, environment);
      await audit.record({
        actor,
        action: 'key.revoke',
        targetType: 'key',
        targetId: id,
        before,
        after,
        requestId,
      });
      return after;
    });
  }

  /**
   * At each start, makes the admin key seeded from FLAGSTAFF_ADMIN_KEY follow the variable: the key
   * it names is created unless present (a revoked one stays revoked: `namesRevoked` reports it), and
   * keys seeded (by `actor`) from earlier values are revoked, all of them once the variable is unset.
   */
  async syncSeededAdminKey(
    secret: string | undefined,
    actor: Actor,
  ): Promise<{ created: boolean; namesRevoked: boolean; revoked: PublicApiKey[] }> {
    const hash = secret === undefined ? undefined : sha256(secret);
    const keys = await this.deps.keys.list(); // revoked ones too: the hash is unique among all
    const stale = keys.filter(
      (key) =>
        key.kind === 'admin' &&
        key.name === seededKeyName &&
        key.createdBy === actor.label &&
        !key.revokedAt &&
        key.hash !== hash,
    );
    const revoked: PublicApiKey[] = [];
    for (const key of stale) revoked.push(await this.revoke(key.id, actor));
    const existing = hash === undefined ? undefined : keys.find((key) => key.hash === hash);
    if (secret === undefined || existing) {
      return { created: false, namesRevoked: Boolean(existing?.revokedAt), revoked };
    }
    await this.create({ kind: 'admin', name: seededKeyName, secret }, actor);
    return { created: true, namesRevoked: false, revoked };
  }

  private toPublic(key: ApiKey, environment: string | null): PublicApiKey {
    const { hash: _hash, environmentId: _environmentId, ...rest } = key;
    return { ...rest, environment };
  }
}
