// Sticky-bucket storage in a Map: tests, single-process servers, and the reference for writing
// others (Redis, SQL...).
import type { StickyBucketService } from './sticky-bucket-service.js';
import { stickyBucketDocKey } from './sticky-bucket-service.js';
import type { StickyAssignmentsDocument } from './types.js';

/**
 * Keeps sticky-bucket documents in memory (copies in and out, so callers cannot alias them).
 *
 * @example
 * const service = new InMemoryStickyBucketService();
 * const sb = await createStickyBucketSession(service, ruleset, { id: 'u1' });
 */
export class InMemoryStickyBucketService implements StickyBucketService {
  readonly #docs = new Map<string, StickyAssignmentsDocument>();

  async getAssignments(
    attributeName: string,
    attributeValue: string,
  ): Promise<StickyAssignmentsDocument | null> {
    const doc = this.#docs.get(stickyBucketDocKey(attributeName, attributeValue));
    return doc ? { ...doc, assignments: { ...doc.assignments } } : null;
  }

  async saveAssignments(doc: StickyAssignmentsDocument): Promise<void> {
    this.#docs.set(stickyBucketDocKey(doc.attributeName, doc.attributeValue), {
      ...doc,
      assignments: { ...doc.assignments },
    });
  }

  /** Every stored document (for inspection in tests). */
  all(): StickyAssignmentsDocument[] {
    return [...this.#docs.values()];
  }
}
