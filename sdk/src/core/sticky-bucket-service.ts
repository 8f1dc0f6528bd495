// Sticky bucketing keeps a unit in the variation it first got even when weights, coverage or
// targeting change. Storage is pluggable and may be asynchronous (a database, Redis...), while
// evaluation stays synchronous: documents are loaded into the context before evaluating and the
// changed ones are written back afterwards.
import type { CompiledRuleset } from './compiled-types.js';
import type {
  Attributes,
  EvaluationContext,
  StickyAssignmentDocs,
  StickyAssignmentsDocument,
} from './types.js';

/** Where sticky-bucket documents live (the specification's StickyBucketService). */
export interface StickyBucketService {
  /** The document of one unit (`attributeName` = `attributeValue`), or `null`. */
  getAssignments(attributeName: string, attributeValue: string): Promise<StickyAssignmentsDocument | null>;
  /** Stores (replaces) one unit's document. */
  saveAssignments(doc: StickyAssignmentsDocument): Promise<void>;
}

/**
 * The key a document is stored under in `EvaluationContext.stickyBucketAssignments`.
 *
 * @example
 * stickyBucketDocKey('id', 'user-1'); // 'id||user-1'
 */
export function stickyBucketDocKey(attributeName: string, attributeValue: string): string {
  return `${attributeName}||${attributeValue}`;
}

/**
 * Loads the documents of every attribute in `attributeNames` (usually
 * `ruleset.stickyBucketAttributes`) that the unit has. Failing look-ups are skipped and handed to
 * `onError`.
 *
 * @example
 * const docs = await loadStickyBucketAssignments(service, attrs, ruleset.stickyBucketAttributes);
 * evaluate(ruleset, 'checkout', { attributes: attrs, stickyBucketAssignments: docs });
 */
export async function loadStickyBucketAssignments(
  service: StickyBucketService,
  attributes: Attributes,
  attributeNames: readonly string[],
  onError?: (error: unknown) => void,
): Promise<StickyAssignmentDocs> {
  const docs: StickyAssignmentDocs = {};
  await Promise.all(
    attributeNames.map(async (name) => {
      const value = attributes[name];
      if (!value) return;
      try {
        const doc = await service.getAssignments(name, String(value));
        if (doc) docs[stickyBucketDocKey(doc.attributeName, doc.attributeValue)] = doc;
      } catch (error) {
        // An unreadable store means "no sticky assignment yet", not a failed evaluation.
        onError?.(error);
      }
    }),
  );
  return docs;
}

/** Context fields for sticky bucketing plus `flush()` to persist what evaluation assigned. */
export interface StickyBucketSession {
  context: Pick<EvaluationContext, 'stickyBucketAssignments' | 'onStickyBucketAssignment'>;
  /** Saves every document changed since the session started (or the last flush). */
  flush(): Promise<void>;
}

/**
 * Prepares sticky bucketing for one unit: preloads its documents and collects changes.
 *
 * @example
 * const sb = await createStickyBucketSession(service, ruleset, attrs);
 * const e = evaluate(ruleset, 'checkout', { attributes: attrs, ...sb.context });
 * await sb.flush();
 */
export async function createStickyBucketSession(
  service: StickyBucketService,
  ruleset: CompiledRuleset,
  attributes: Attributes,
  onError?: (error: unknown) => void,
): Promise<StickyBucketSession> {
  const docs = await loadStickyBucketAssignments(
    service,
    attributes,
    ruleset.stickyBucketAttributes,
    onError,
  );
  const changed = new Map<string, StickyAssignmentsDocument>();
  return {
    context: {
      stickyBucketAssignments: docs,
      onStickyBucketAssignment: (doc) =>
        changed.set(stickyBucketDocKey(doc.attributeName, doc.attributeValue), doc),
    },
    async flush() {
      const pending = [...changed.values()];
      changed.clear();
      await Promise.all(
        pending.map((doc) =>
          service.saveAssignments(doc).catch((error: unknown) => {
            onError?.(error);
          }),
        ),
      );
    },
  };
}
