// The group-commit writer: every request hands its valid events to `submit`, and all the batches
// that arrive while the event loop is busy are committed together in one durable transaction on
// the next turn; then each request gets its counts. One fsync serves many requests, and no
// request is acknowledged before its events are on disk. docs/decisions/0004-group-commit.md.
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { EventBatchRows, EventStore, WriteCounts } from './events-store.ts';

export interface EventWriterOptions {
  /** Opens the store on first use, so that a service that never ingests opens no connection. */
  openStore: () => EventStore;
  /** Events waiting for a commit beyond which new batches are refused with 503 + Retry-After. */
  queueLimit: number;
  logger: Logger;
  /** True while the store's connection must not start a transaction (a shared connection is in one). */
  connectionBusy?: () => boolean;
  /** Raw events older than this many days are deleted in the background; 0 keeps them forever. */
  retentionDays?: number;
  now?: () => number;
}

interface Pending {
  batch: EventBatchRows;
  size: number;
  resolve: (counts: WriteCounts) => void;
  reject: (error: unknown) => void;
}

const busyRetryMs = 2;
const busyGiveUpMs = 5_000;
const retentionChunk = 5_000;
const retentionIdleMs = 10 * 60_000;

const isBusy = (error: unknown) =>
  typeof error === 'object' &&
  error !== null &&
  /^SQLITE_(BUSY|LOCKED)/.test(String((error as { code?: unknown }).code));

export class EventWriter {
  private queue: Pending[] = [];
  private queued = 0;
  private scheduled = false;
  private busySince = 0;
  private closed = false;
  private store: EventStore | undefined;
  private retentionTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counters for /metrics and tests. */
  readonly stats = { commits: 0, batches: 0, events: 0, refused: 0, failures: 0, deleted: 0 };

  constructor(private readonly options: EventWriterOptions) {}

  /** Events accepted for writing but not committed yet. */
  get pendingEvents(): number {
    return this.queued;
  }

  /**
   * Queues a batch for the next group commit; resolves once it is durable. Refuses (503 with
   * Retry-After) when the queue is full or the writer is closing, instead of buffering without bound.
   */
  submit(batch: EventBatchRows): Promise<WriteCounts> {
    const size = batch.exposures.length + batch.tracks.length;
    if (size === 0) return Promise.resolve({ accepted: 0, duplicates: 0 });
    if (this.closed) {
      throw new AppError('unavailable', 'The service is shutting down: retry shortly', undefined, {
        'Retry-After': '1',
      });
    }
    // A batch is always let into an empty queue, so that one larger than the limit still goes in.
    if (this.queued > 0 && this.queued + size > this.options.queueLimit) {
      this.stats.refused++;
      throw new AppError('unavailable', 'Event writer saturated: retry shortly', undefined, {
        'Retry-After': '1',
      });
    }
    return new Promise<WriteCounts>((resolve, reject) => {
      this.queue.push({ batch, size, resolve, reject });
      this.queued += size;
      this.schedule();
    });
  }

  /** Commits everything queued, then refuses new batches and closes the store. Synchronous. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retentionTimer);
    // A shared connection inside someone's transaction cannot be waited for here; the batches
    // then fail (not acknowledged) and the SDKs resend them.
    while (this.queue.length > 0) if (!this.flush(true)) break;
    for (const pending of this.takeAll()) pending.reject(new AppError('unavailable', 'The service stopped'));
    this.store?.close();
  }

  private schedule(delayMs = 0): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.flush(false);
    };
    // setImmediate runs after the I/O callbacks of this loop turn: every request parsed in this
    // turn has queued its batch by then, so they share one commit.
    if (delayMs === 0) setImmediate(run);
    else setTimeout(run, delayMs);
  }

  private takeAll(): Pending[] {
    const group = this.queue;
    this.queue = [];
    this.queued = 0;
    return group;
  }

  private openStore(): EventStore {
    if (!this.store) {
      this.store = this.options.openStore();
      this.scheduleRetention(retentionIdleMs / 10);
    }
    return this.store;
  }

  /** One group commit; false when the database was busy and the group stays queued. */
  private flush(closing: boolean): boolean {
    if (this.queue.length === 0) return true;
    const now = Date.now();
    if (this.options.connectionBusy?.() || !this.tryCommit(this.queue)) {
      if (this.busySince === 0) this.busySince = now;
      if (closing) return false;
      if (now - this.busySince < busyGiveUpMs) {
        this.schedule(busyRetryMs);
        return false;
      }
      this.options.logger.error('event writer: database busy for too long; refusing the waiting batches');
      for (const pending of this.takeAll()) {
        pending.reject(
          new AppError('unavailable', 'Database busy: retry shortly', undefined, { 'Retry-After': '1' }),
        );
      }
      this.busySince = 0;
      return true;
    }
    this.busySince = 0;
    return true;
  }

  /** Commits `group` (all of the queue); false when the database is busy. */
  private tryCommit(group: Pending[]): boolean {
    let counts: WriteCounts[];
    try {
      counts = this.openStore().writeGroup(group.map((p) => p.batch));
    } catch (error) {
      if (isBusy(error)) return false;
      // A real fault (disk full, I/O error …): commit the batches one by one, so that one bad batch
      // cannot hold back the others; the ones that still fail are refused, and their SDKs retry.
      this.takeAll();
      this.options.logger.error({ err: error }, 'event writer: group commit failed; retrying batch by batch');
      for (const pending of group) this.commitAlone(pending);
      return true;
    }
    this.takeAll();
    this.stats.commits++;
    for (let i = 0; i < group.length; i++) {
      this.stats.batches++;
      this.stats.events += group[i]!.size;
      group[i]!.resolve(counts[i]!);
    }
    return true;
  }

  private commitAlone(pending: Pending): void {
    try {
      const [counts] = this.openStore().writeGroup([pending.batch]);
      this.stats.commits++;
      pending.resolve(counts!);
    } catch (error) {
      this.stats.failures++;
      this.options.logger.error({ err: error }, 'event writer: batch could not be stored');
      pending.reject(
        new AppError('unavailable', 'Events could not be stored: retry later', undefined, {
          'Retry-After': '5',
        }),
      );
    }
  }

  private scheduleRetention(delayMs: number): void {
    const days = this.options.retentionDays ?? 0;
    if (days <= 0 || this.closed) return;
    this.retentionTimer = setTimeout(() => {
      const deleted = this.runRetention();
      // While there is a backlog, delete a chunk per second; otherwise look again in a while.
      this.scheduleRetention(deleted >= retentionChunk ? 1_000 : retentionIdleMs);
    }, delayMs);
    this.retentionTimer.unref();
  }

  /** Deletes one bounded chunk of raw events past the retention period; how many were deleted. */
  runRetention(): number {
    const days = this.options.retentionDays ?? 0;
    if (days <= 0 || this.closed || this.options.connectionBusy?.()) return 0;
    const before = (this.options.now?.() ?? Date.now()) - days * 86_400_000;
    try {
      const deleted = this.openStore().deleteOlderThan(before, retentionChunk);
      this.stats.deleted += deleted;
      return deleted;
    } catch (error) {
      if (!isBusy(error)) this.options.logger.error({ err: error }, 'event retention: delete failed');
      return 0;
    }
  }
}
