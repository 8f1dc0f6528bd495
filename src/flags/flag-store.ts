import { and, asc, eq, gt, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/open-db.ts';
import { flagEnvironments, flags } from '../db/schema.ts';

export type FlagRow = typeof flags.$inferSelect;
export type FlagConfigRow = typeof flagEnvironments.$inferSelect;

export interface FlagFilter {
  search?: string;
  tag?: string;
  archived: 'true' | 'false' | 'all';
  afterKey?: string;
  limit: number;
}

export interface FlagStore {
  find(filter: FlagFilter): Promise<FlagRow[]>;
  byKey(key: string): Promise<FlagRow | undefined>;
  insert(flag: FlagRow): Promise<void>;
  update(id: string, patch: Partial<Omit<FlagRow, 'id' | 'key' | 'createdAt'>>): Promise<void>;
  delete(id: string): Promise<void>;
  configs(flagId: string): Promise<FlagConfigRow[]>;
  config(flagId: string, environmentId: string): Promise<FlagConfigRow | undefined>;
  upsertConfig(config: FlagConfigRow): Promise<void>;
  /** Every unarchived flag with its config in one environment (null when never configured there). */
  servedIn(environmentId: string): Promise<{ flag: FlagRow; config: FlagConfigRow | null }[]>;
  /** All configs of all flags: for reference checks (segments, prerequisites). */
  allConfigs(): Promise<(FlagConfigRow & { flagKey: string })[]>;
}

export function sqliteFlagStore({ orm }: Db): FlagStore {
  return {
    async find({ search, tag, archived, afterKey, limit }) {
      const where: SQL[] = [];
      if (archived === 'false') where.push(isNull(flags.archivedAt));
      if (archived === 'true') where.push(isNotNull(flags.archivedAt));
      if (search) {
        const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        where.push(
          or(
            sql`${flags.key} like ${pattern} escape '\\'`,
            sql`${flags.description} like ${pattern} escape '\\'`,
          )!,
        );
      }
      if (tag)
        where.push(sql`exists (select 1 from json_each(${flags.tags}) where json_each.value = ${tag})`);
      if (afterKey) where.push(gt(flags.key, afterKey));
      return orm
        .select()
        .from(flags)
        .where(and(...where))
        .orderBy(asc(flags.key))
        .limit(limit)
        .all();
    },
    async byKey(key) {
      return orm.select().from(flags).where(eq(flags.key, key)).get();
    },
    async insert(flag) {
      orm.insert(flags).values(flag).run();
    },
    async update(id, patch) {
      orm.update(flags).set(patch).where(eq(flags.id, id)).run();
    },
    async delete(id) {
      orm.delete(flags).where(eq(flags.id, id)).run();
    },
    async configs(flagId) {
      return orm.select().from(flagEnvironments).where(eq(flagEnvironments.flagId, flagId)).all();
    },
    async config(flagId, environmentId) {
      return orm
        .select()
        .from(flagEnvironments)
        .where(and(eq(flagEnvironments.flagId, flagId), eq(flagEnvironments.environmentId, environmentId)))
        .get();
    },
    async upsertConfig(config) {
      orm
        .insert(flagEnvironments)
        .values(config)
        .onConflictDoUpdate({
          target: [flagEnvironments.flagId, flagEnvironments.environmentId],
          set: {
            enabled: config.enabled,
            rules: config.rules,
            version: config.version,
            updatedAt: config.updatedAt,
            updatedBy: config.updatedBy,
          },
        })
        .run();
    },
    async servedIn(environmentId) {
      return orm
        .select({ flag: flags, config: flagEnvironments })
        .from(flags)
        .leftJoin(
          flagEnvironments,
          and(eq(flagEnvironments.flagId, flags.id), eq(flagEnvironments.environmentId, environmentId)),
        )
        .where(isNull(flags.archivedAt))
        .orderBy(asc(flags.key))
        .all();
    },
    async allConfigs() {
      return orm
        .select({
          flagId: flagEnvironments.flagId,
          environmentId: flagEnvironments.environmentId,
          enabled: flagEnvironments.enabled,
          rules: flagEnvironments.rules,
          version: flagEnvironments.version,
          updatedAt: flagEnvironments.updatedAt,
          updatedBy: flagEnvironments.updatedBy,
          flagKey: flags.key,
        })
        .from(flagEnvironments)
        .innerJoin(flags, eq(flags.id, flagEnvironments.flagId))
        .all();
    },
  };
}
