// Wires stores into services. One place builds them, so createApp and the start-up seeding share
// the same construction and tests get everything on a fresh database with one call.
import { AuditLog } from './audit/audit-log.ts';
import { sqliteAuditStore, type AuditStore } from './audit/audit-store.ts';
import { ApiKeyService } from './auth/api-key-service.ts';
import { sqliteApiKeyStore, type ApiKeyStore } from './auth/api-key-store.ts';
import { LoginRateLimiter } from './auth/login-rate-limiter.ts';
import { SessionService } from './auth/session-service.ts';
import { UserService } from './auth/user-service.ts';
import { sqliteUserStore, type UserStore } from './auth/user-store.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Db } from './db/open-db.ts';
import { EnvironmentService } from './environments/environment-service.ts';
import { sqliteEnvironmentStore, type EnvironmentStore } from './environments/environment-store.ts';
import { parseEnv, type Env } from './env.ts';

export interface Stores {
  environments: EnvironmentStore;
  keys: ApiKeyStore;
  users: UserStore;
  audit: AuditStore;
}

export interface Services {
  db: Db;
  clock: Clock;
  config: Env;
  stores: Stores;
  audit: AuditLog;
  environments: EnvironmentService;
  keys: ApiKeyService;
  users: UserService;
  sessions: SessionService;
}

export interface ServiceDeps {
  db: Db;
  clock?: Clock;
  /** Settings; anything left out takes its default (as with an empty environment). */
  config?: Partial<Env>;
}

export function createServices({ db, clock = systemClock, config: overrides = {} }: ServiceDeps): Services {
  const config = { ...parseEnv({}), ...overrides };
  const stores: Stores = {
    environments: sqliteEnvironmentStore(db),
    keys: sqliteApiKeyStore(db),
    users: sqliteUserStore(db),
    audit: sqliteAuditStore(db),
  };
  const audit = new AuditLog(stores.audit, clock);
  const base = { db, audit, clock };
  return {
    db,
    clock,
    config,
    stores,
    audit,
    environments: new EnvironmentService({ ...base, environments: stores.environments }),
    keys: new ApiKeyService({ ...base, keys: stores.keys, environments: stores.environments }),
    users: new UserService({ ...base, users: stores.users }),
    sessions: new SessionService({
      ...base,
      users: stores.users,
      limiter: new LoginRateLimiter(config.LOGIN_MAX_ATTEMPTS, clock),
      ttlSeconds: config.SESSION_TTL_SECONDS,
    }),
  };
}
