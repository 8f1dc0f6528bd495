import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/open-db.ts';
import { segments } from '../db/schema.ts';

export type Segment = typeof segments.$inferSelect;
export type SegmentSummary = Omit<Segment, 'ids'>;

const summaryColumns = {
  id: segments.id,
  key: segments.key,
  name: segments.name,
  description: segments.description,
  kind: segments.kind,
  condition: segments.condition,
  attribute: segments.attribute,
  idCount: segments.idCount,
  createdAt: segments.createdAt,
  updatedAt: segments.updatedAt,
};

export interface SegmentStore {
  /** Without the id lists, which can be large. */
  list(): Promise<SegmentSummary[]>;
  /** With the id lists: what the ruleset needs. */
  all(): Promise<Segment[]>;
  byKey(key: string): Promise<Segment | undefined>;
  insert(segment: Segment): Promise<void>;
  update(id: string, patch: Partial<Omit<Segment, 'id' | 'key' | 'createdAt'>>): Promise<void>;
  delete(id: string): Promise<void>;
}

export function sqliteSegmentStore({ orm }: Db): SegmentStore {
  return {
    async list() {
      return orm.select(summaryColumns).from(segments).orderBy(asc(segments.key)).all();
    },
    async all() {
      return orm.select().from(segments).orderBy(asc(segments.key)).all();
    },
    async byKey(key) {
      return orm.select().from(segments).where(eq(segments.key, key)).get();
    },
    async insert(segment) {
      orm.insert(segments).values(segment).run();
    },
    async update(id, patch) {
      orm.update(segments).set(patch).where(eq(segments.id, id)).run();
    },
    async delete(id) {
      orm.delete(segments).where(eq(segments.id, id)).run();
    },
  };
}
