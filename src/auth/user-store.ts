import { and, asc, eq, gt, lt } from 'drizzle-orm';
import type { Db } from '../db/open-db.ts';
import { sessions, users } from '../db/schema.ts';

export type User = typeof users.$inferSelect;
export type Session = typeof sessions.$inferSelect;

export interface UserStore {
  list(): Promise<User[]>;
  count(): Promise<number>;
  byId(id: string): Promise<User | undefined>;
  byEmail(email: string): Promise<User | undefined>;
  insert(user: User): Promise<void>;
  update(id: string, patch: Partial<Omit<User, 'id' | 'createdAt'>>): Promise<void>;
  createSession(session: Session): Promise<void>;
  /** The live session with this token hash and its (enabled) user. */
  findSession(tokenHash: string, now: Date): Promise<{ session: Session; user: User } | undefined>;
  deleteSession(tokenHash: string): Promise<void>;
  deleteSessionsOf(userId: string): Promise<void>;
  deleteExpiredSessions(now: Date): Promise<void>;
}

export function sqliteUserStore({ orm }: Db): UserStore {
  return {
    async list() {
      return orm.select().from(users).orderBy(asc(users.email)).all();
    },
    async count() {
      return orm.$count(users);
    },
    async byId(id) {
      return orm.select().from(users).where(eq(users.id, id)).get();
    },
    async byEmail(email) {
      return orm.select().from(users).where(eq(users.email, email.toLowerCase())).get();
    },
    async insert(user) {
      orm.insert(users).values(user).run();
    },
    async update(id, patch) {
      orm.update(users).set(patch).where(eq(users.id, id)).run();
    },
    async createSession(session) {
      orm.insert(sessions).values(session).run();
    },
    async findSession(tokenHash, now) {
      const row = orm
        .select({ session: sessions, user: users })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, now)))
        .get();
      return row && !row.user.disabledAt ? row : undefined;
    },
    async deleteSession(tokenHash) {
      orm.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).run();
    },
    async deleteSessionsOf(userId) {
      orm.delete(sessions).where(eq(sessions.userId, userId)).run();
    },
    async deleteExpiredSessions(now) {
      orm.delete(sessions).where(lt(sessions.expiresAt, now)).run();
    },
  };
}
