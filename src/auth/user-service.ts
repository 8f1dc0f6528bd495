import type { Actor } from '../audit/actor.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import { AppError, conflict, notFound } from '../errors.ts';
import type { Role } from './access.ts';
import { hashPassword, newId, randomToken } from './secrets.ts';
import type { User, UserStore } from './user-store.ts';

/** What the API shows of a user: never the password hash. */
export type PublicUser = Omit<User, 'passwordHash'>;

export const toPublicUser = ({ passwordHash: _hash, ...user }: User): PublicUser => user;

export interface UserInput {
  email: string;
  password: string;
  name?: string;
  role: Role;
}

export interface UserPatch {
  name?: string;
  role?: Role;
  password?: string;
  disabled?: boolean;
}

export class UserService {
  constructor(private readonly deps: { db: Db; users: UserStore; audit: AuditLog; clock: Clock }) {}

  async list(): Promise<PublicUser[]> {
    return (await this.deps.users.list()).map(toPublicUser);
  }

  async create(input: UserInput, actor: Actor, requestId?: string): Promise<PublicUser> {
    const passwordHash = await hashPassword(input.password);
    const { db, users, audit, clock } = this.deps;
    return db.transaction(async () => {
      const email = input.email.toLowerCase();
      if (await users.byEmail(email)) throw conflict(`a user with email '${email}' already exists`);
      const now = clock.now();
      const user: User = {
        id: newId('usr'),
        email,
        name: input.name ?? email.split('@')[0]!,
        role: input.role,
        passwordHash,
        createdAt: now,
        updatedAt: now,
        disabledAt: null,
      };
      await users.insert(user);
      await audit.record({
        actor,
        action: 'user.create',
        targetType: 'user',
        targetId: user.id,
        after: toPublicUser(user),
        requestId,
      });
      return toPublicUser(user);
    });
  }

  async update(id: string, patch: UserPatch, actor: Actor, requestId?: string): Promise<PublicUser> {
    const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password);
    const { db, users, audit, clock } = this.deps;
    return db.transaction(async () => {
      const before = await users.byId(id);
      if (!before) throw notFound('user', id);
      if (
        actor.id === id &&
        (patch.disabled || (patch.role && patch.role !== 'admin' && before.role === 'admin'))
      ) {
        throw new AppError(
          'validation_failed',
          'body: you cannot disable yourself or remove your own admin role',
        );
      }
      const now = clock.now();
      await users.update(id, {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.role === undefined ? {} : { role: patch.role }),
        ...(passwordHash === undefined ? {} : { passwordHash }),
        ...(patch.disabled === undefined ? {} : { disabledAt: patch.disabled ? now : null }),
        updatedAt: now,
      });
      // A new password or a disabled account ends the sessions opened with the old state.
      if (passwordHash !== undefined || patch.disabled) await users.deleteSessionsOf(id);
      const after = toPublicUser((await users.byId(id))!);
      const changed = passwordHash === undefined ? after : { ...after, passwordChanged: true };
      await audit.record({
        actor,
        action: 'user.update',
        targetType: 'user',
        targetId: id,
        before: toPublicUser(before),
        after: changed,
        requestId,
      });
      return after;
    });
  }

  /**
   * On an empty database, creates the first admin. Returns the generated password when the
   * operator gave none, so that start-up can write it to an owner-only file (never to stdout).
   */
  async seedAdmin(
    email: string,
    password: string | undefined,
    actor: Actor,
  ): Promise<{ email: string; generatedPassword?: string } | undefined> {
    if ((await this.deps.users.count()) > 0) return undefined;
    const generatedPassword = password === undefined ? randomToken(15) : undefined;
    await this.create(
      { email, password: password ?? generatedPassword!, role: 'admin', name: 'Admin' },
      actor,
    );
    return { email, generatedPassword };
  }
}
