import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/open-db.ts';
import { environments } from '../db/schema.ts';

export type Environment = typeof environments.$inferSelect;

export interface EnvironmentStore {
  list(): Promise<Environment[]>;
  byKey(key: string): Promise<Environment | undefined>;
  byId(id: string): Promise<Environment | undefined>;
  insert(environment: Environment): Promise<void>;
  update(id: string, patch: Partial<Omit<Environment, 'id' | 'createdAt' | 'revision'>>): Promise<void>;
  /** Marks the rulesets of these environments (or all) as changed; returns the affected ids. */
  bumpRevision(ids: string[] | 'all'): Promise<string[]>;
}

export function sqliteEnvironmentStore({ orm }: Db): EnvironmentStore {
  return {
    async list() {
      return orm
        .select()
        .from(environments)
        .orderBy(asc(environments.createdAt), asc(environments.key))
        .all();
    },
    async byKey(key) {
      return orm.select().from(environments).where(eq(environments.key, key)).get();
    },
    async byId(id) {
      return orm.select().from(environments).where(eq(environments.id, id)).get();
    },
    async insert(environment) {
      orm.insert(environments).values(environment).run();
    },
    async update(id, patch) {
      orm.update(environments).set(patch).where(eq(environments.id, id)).run();
    },
    async bumpRevision(ids) {
      const bump = orm.update(environments).set({ revision: sql`${environments.revision} + 1` });
      const rows = (ids === 'all' ? bump : bump.where(inArray(environments.id, ids)))
        .returning({ id: environments.id })
        .all();
      return rows.map((row) => row.id);
    },
  };
}
