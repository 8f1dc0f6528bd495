import type { Actor } from '../audit/actor.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import { AppError } from '../errors.ts';
import type { LoginRateLimiter } from './login-rate-limiter.ts';
import {
  decoyPasswordHash,
  hashPassword,
  needsRehash,
  randomToken,
  sha256,
  verifyPassword,
} from './secrets.ts';
import { toPublicUser, type PublicUser } from './user-service.ts';
import type { UserStore } from './user-store.ts';

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
    // Counted before the slow check, so that parallel guesses cannot all get past the limit.
    const attempt = limiter.begin(normalized, ip);
    const user = await users.byEmail(normalized);
    const valid = await verifyPassword(password, user?.passwordHash ?? decoyPasswordHash);
    if (!user || !valid || user.disabledAt) throw new AppError('unauthorized', 'Wrong email or password');
    attempt.succeeded();
    // A hash made with weaker parameters than today's is replaced while the password is at hand.
    const rehashed = needsRehash(user.passwordHash) ? await hashPassword(password) : undefined;
    const token = randomToken(32);
    const csrfToken = randomToken(24);
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    await db.transaction(async () => {
      await users.deleteExpiredSessions(now);
      if (rehashed) await users.update(user.id, { passwordHash: rehashed });
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
        ...(rehashed ? { after: { passwordRehashed: true } } : {}),
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
