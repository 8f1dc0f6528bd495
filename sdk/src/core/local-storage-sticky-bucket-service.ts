// Sticky-bucket storage in the browser's localStorage (or any object with the same three methods,
// e.g. sessionStorage or a test double), one JSON entry per unit document.
import type { StickyBucketService } from './sticky-bucket-service.js';
import { stickyBucketDocKey } from './sticky-bucket-service.js';
import type { StickyAssignmentsDocument } from './types.js';

/** The part of the Web Storage API this service uses. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface LocalStorageStickyBucketOptions {
  /** Prepended to every entry's key. Default `flagstaff_sb__`. */
  prefix?: string;
  /** Default `globalThis.localStorage`; when absent (server, privacy mode) nothing is stored. */
  storage?: KeyValueStorage;
}

/**
 * Keeps sticky-bucket documents in localStorage. Storage errors (quota, disabled storage, corrupt
 * entries) read as "no document" and are otherwise ignored.
 *
 * @example
 * const service = new LocalStorageStickyBucketService();
 * const sb = await createStickyBucketSession(service, ruleset, attributes);
 */
export class LocalStorageStickyBucketService implements StickyBucketService {
  readonly #prefix: string;
  readonly #storage: KeyValueStorage | undefined;

  constructor(options: LocalStorageStickyBucketOptions = {}) {
    this.#prefix = options.prefix ?? 'flagstaff_sb__';
    try {
      this.#storage = options.storage ?? (globalThis as { localStorage?: KeyValueStorage }).localStorage;
    } catch {
      // Reading localStorage throws where site data is blocked: then nothing is stored.
    }
  }

  async getAssignments(
    attributeName: string,
    attributeValue: string,
  ): Promise<StickyAssignmentsDocument | null> {
    try {
      const raw = this.#storage?.getItem(this.#prefix + stickyBucketDocKey(attributeName, attributeValue));
      if (!raw) return null;
      const doc = JSON.parse(raw) as StickyAssignmentsDocument;
      const valid =
        doc !== null &&
        typeof doc === 'object' &&
        typeof doc.attributeName === 'string' &&
        typeof doc.attributeValue === 'string' &&
        typeof doc.assignments === 'object' &&
        doc.assignments !== null;
      return valid ? doc : null;
    } catch {
      return null;
    }
  }

  async saveAssignments(doc: StickyAssignmentsDocument): Promise<void> {
    try {
      this.#storage?.setItem(
        this.#prefix + stickyBucketDocKey(doc.attributeName, doc.attributeValue),
        JSON.stringify(doc),
      );
    } catch {
      // Quota exceeded or storage disabled: stickiness degrades to hashing, which is still stable.
    }
  }
}
