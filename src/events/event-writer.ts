// The group-commit writer: every request hands its valid events to `submit`; the batches that
// arrive while a commit is under way are committed together, in one durable transaction, as soon
// as it ends; then each request gets its counts. One fsync serves many requests, and no request is
// acknowledged before its events are on disk. docs/decisions/0004-group-commit.md.
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { EventBatchRows, WriteCounts } from './events-store.ts';
import type { AsyncEventStore } from './writer-thread.ts';

export interface EventWriterOptions {
  store: AsyncEventStore;
  /** Events waiting for a commit beyond which new batches are refused with 503 + Retry-After. */
  queueLimit: number;
  logger: Logger;
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

const retryLater = (message: string, seconds = 1) =>
  new AppError('unavailable', message, undefined, { 'Retry-After': String(seconds) });

export class EventWriter {
  private queue: Pending[] = [];
  private queued = 0;
  private scheduled = false;
  private busySince = 0;
  private closed = false;
  private started = false;
  private inFlight: Promise<void> | undefined;
  private retentionTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counters for tests and the benchmark. */
  readonly stats = { commits: 0, batches: 0, events: 0, refused: 0, failures: 0, deleted: 0 };

  constructor(private readonly options: EventWriterOptions) {}

  /** Events accepted for writing but not yet handed to a commit. */
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
    if (this.closed) throw retryLater('The service is shutting down: retry shortly');
    // A batch is always let into an empty queue, so that one larger than the limit still goes in.
    if (this.queued > 0 && this.queued + size > this.options.queueLimit) {
      this.stats.refused++;
      throw retryLater('Event writer saturated: retry shortly');
    }
    if (!this.started) {
      this.started = true;
      this.scheduleRetention(retentionIdleMs / 10);
    }
    return new Promise<WriteCounts>((resolve, reject) => {
      this.queue.push({ batch, size, resolve, reject });
      this.queued += size;
      this.schedule();
    });
  }

  /** Commits everything queued and in flight, then refuses new batches and closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retentionTimer);
    while (this.inFlight || this.queue.length > 0) {
      if (this.inFlight) await this.inFlight;
      else if (this.busySince !== 0 && Date.now() - this.busySince > busyGiveUpMs) break;
      else {
        if (this.busySince !== 0) await new Promise((resolve) => setTimeout(resolve, busyRetryMs));
        this.commitNext();
      }
    }
    for (const pending of this.takeAll()) pending.reject(retryLater('The service stopped'));
    await this.options.store.close();
  }

  /** Starts a commit on the next turn of the event loop, after this turn's requests have queued. */
  private schedule(delayMs = 0): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.commitNext();
    };
    if (delayMs === 0) setImmediate(run);
    else setTimeout(run, delayMs);
  }

  private takeAll(): Pending[] {
    const group = this.queue;
    this.queue = [];
    this.queued = 0;
    return group;
  }

  /** One group commit of everything queued; the next starts when it ends, if more has queued. */
  private commitNext(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const group = this.takeAll();
    this.inFlight = this.commit(group).finally(() => {
      this.inFlight = undefined;
      if (this.queue.length > 0 && !this.closed) this.schedule(this.busySince ? busyRetryMs : 0);
    });
  }

  private async commit(group: Pending[]): Promise<void> {
    let counts: WriteCounts[];
    const startedAt = Date.now();
    try {
      counts = await this.options.store.writeGroup(group.map((p) => p.batch));
    } catch (error) {
      if (isBusy(error)) return this.busy(group, startedAt);
      // A real fault (disk full, I/O error …): commit the batches one by one, so that one bad batch
      // cannot hold back the others; the ones that still fail are refused, and their SDKs retry.
      this.options.logger.error({ err: error }, 'event writer: group commit failed; retrying batch by batch');
      for (const pending of group) await this.commitAlone(pending);
      return;
    }
    this.busySince = 0;
    this.stats.commits++;
    for (let i = 0; i < group.length; i++) {
      this.stats.batches++;
      this.stats.events += group[i]!.size;
      group[i]!.resolve(counts[i]!);
    }
  }

  /**
   * The database was locked: put the group back in front and retry shortly, for a while, counted
   * from the start of the first attempt (a writer thread's attempt itself waits up to busy_timeout).
   */
  private busy(group: Pending[], startedAt: number): void {
    const now = Date.now();
    if (this.busySince === 0) this.busySince = startedAt;
    if (now - this.busySince > busyGiveUpMs) {
      this.options.logger.error('event writer: database busy for too long; refusing the waiting batches');
      this.busySince = 0;
      for (const pending of group) pending.reject(retryLater('Database busy: retry shortly'));
      return;
    }
    this.queue = group.concat(this.queue);
    this.queued += group.reduce((sum, p) => sum + p.size, 0);
  }

  private async commitAlone(pending: Pending): Promise<void> {
    try {
      const [counts] = await this.options.store.writeGroup([pending.batch]);
      this.stats.commits++;
      pending.resolve(counts!);
    } catch (error) {
      this.stats.failures++;
      this.options.logger.error({ err: error }, 'event writer: batch could not be stored');
      pending.reject(retryLater('Events could not be stored: retry later', 5));
    }
  }

  private scheduleRetention(delayMs: number): void {
    const days = this.options.retentionDays ?? 0;
    if (days <= 0 || this.closed) return;
    this.retentionTimer = setTimeout(() => {
      void this.runRetention().then((deleted) =>
        // While there is a backlog, delete a chunk per second; otherwise look again in a while.
        this.scheduleRetention(deleted >= retentionChunk ? 1_000 : retentionIdleMs),
      );
    }, delayMs);
    this.retentionTimer.unref();
  }

  /** Deletes one bounded chunk of raw events past the retention period; how many were deleted. */
  async runRetention(): Promise<number> {
    const days = this.options.retentionDays ?? 0;
    if (days <= 0 || this.closed) return 0;
    const before = (this.options.now?.() ?? Date.now()) - days * 86_400_000;
    try {
      const deleted = await this.options.store.deleteOlderThan(before, retentionChunk);
      this.stats.deleted += deleted;
      return deleted;
    } catch (error) {
      if (!isBusy(error)) this.options.logger.error({ err: error }, 'event retention: delete failed');
      return 0;
    }
  }
}
