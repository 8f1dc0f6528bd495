import type { Actor } from '../audit/actor.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import { AppError } from '../errors.ts';
import type { LoginRateLimiter } from './login-rate-limiter.ts';
import { randomToken, sha256, verifyPassword } from './secrets.ts';
import { toPublicUser, type PublicUser } from './user-service.ts';
import type { UserStore } from './user-store.ts';

// Compared against when the email is unknown, so that a miss takes as long as a wrong password
// and response times do not reveal which emails have accounts.
const decoyHash = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export class SessionService {
  constructor(
    private readonly deps: {
      db: Db;
      users: UserStore;
      audit: AuditLog;
      clock: Clock;
      limiter: LoginRateLimiter;
      ttlSeconds: number;
    },
  ) {}

  async login(
    email: string,
    password: string,
    ip: string,
    requestId?: string,
  ): Promise<{ token: string; csrfToken: string; expiresAt: Date; user: PublicUser }> {
    const { db, users, audit, clock, limiter, ttlSeconds } = this.deps;
    const normalized = email.toLowerCase();
    limiter.check(ip, normalized);
    const user = await users.byEmail(normalized);
    const valid = await verifyPassword(password, user?.passwordHash ?? decoyHash);
    if (!user || !valid || user.disabledAt) {
      limiter.fail(ip, normalized);
      throw new AppError('unauthorized', 'Wrong email or password');
    }
    limiter.succeed(normalized);
    const token = randomToken(32);
    const csrfToken = randomToken(24);
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    await db.transaction(async () => {
      await users.deleteExpiredSessions(now);
      await users.createSession({
        tokenHash: sha256(token),
        userId: user.id,
        csrfToken,
        createdAt: now,
        expiresAt,
      });
      await audit.record({
        actor: { type: 'user', id: user.id, label: user.email },
        action: 'session.login',
        targetType: 'user',
        targetId: user.id,
        requestId,
      });
    });
    return { token, csrfToken, expiresAt, user: toPublicUser(user) };
  }

  async logout(token: string, actor: Actor, requestId?: string): Promise<void> {
    const { db, users, audit } = this.deps;
    await db.transaction(async () => {
      await users.deleteSession(sha256(token));
      await audit.record({
        actor,
        action: 'session.logout',
        targetType: 'user',
        targetId: actor.id ?? '',
        requestId,
      });
    });
  }
}
