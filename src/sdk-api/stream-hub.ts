// The open SSE streams, grouped by environment. A change is pushed once per environment: the
// ruleset is built once and the same bytes are written to every stream. Idle streams cost one
// small object each; a single timer sends heartbeats to all of them. A stream whose peer stopped
// reading is dropped once its unsent bytes pass a limit: every change would otherwise queue another
// whole ruleset in the server's memory for a client that may never read it; the SDK reconnects
// and gets the latest ruleset whole.
import type { Logger } from '../logger.ts';
import { currentEvent, type BuiltRuleset, type RulesetCache, type ServedBody } from './ruleset-cache.ts';
import type { RulesetChanges } from './ruleset-changes.ts';

export interface StreamClient {
  /**
   * Queues bytes on the stream without waiting: a Node response on a real server, Hono's SSE
   * stream in-process. Failures (a peer gone) are the transport's to swallow; its close removes
   * the client.
   */
  write: (chunk: Uint8Array) => void;
  /** Client keys get the encrypted ruleset when the environment encrypts. */
  pick: (built: BuiltRuleset) => ServedBody;
  /** Ends the stream's handler, which then closes the response. */
  end: () => void;
  /** Bytes queued and not yet taken by the peer, where the transport can tell. */
  buffered?: () => number;
  /** Closes the stream at once, dropping what is queued (a peer that stopped reading). */
  drop?: () => void;
  /** The revision this stream already has (sent, or named in Last-Event-ID). */
  revision?: number;
  /**
   * Which `patch` events the client understands: 1 plain ones (it asked with `?patches=1`), 2
   * encrypted ones too (`?patches=2`). Older SDKs ask with 1 and cannot apply an encrypted patch.
   */
  patches?: number;
}

const ping = new TextEncoder().encode(': ping\n\n');

export class StreamHub {
  private readonly byEnvironment = new Map<string, Set<StreamClient>>();
  private readonly pending = new Set<string>();
  /** The newest revision this hub wrote to each stream (not one a client only claimed). */
  private readonly delivered = new WeakMap<StreamClient, number>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Streams dropped because their peer stopped reading (for /metrics). */
  droppedSlow = 0;

  constructor(
    private readonly deps: {
      cache: RulesetCache;
      changes: RulesetChanges;
      logger: Logger;
      heartbeatMs: number;
      /** Unsent bytes beyond which a stream is dropped instead of written to. */
      maxBufferedBytes: number;
    },
  ) {
    deps.changes.subscribe((environmentId) => this.schedule(environmentId));
  }

  get size(): number {
    let n = 0;
    for (const clients of this.byEnvironment.values()) n += clients.size;
    return n;
  }

  add(environmentId: string, client: StreamClient): () => void {
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => this.ping(), this.deps.heartbeatMs);
      this.heartbeat.unref();
    }
    let clients = this.byEnvironment.get(environmentId);
    if (!clients) this.byEnvironment.set(environmentId, (clients = new Set()));
    clients.add(client);
    return () => {
      clients.delete(client);
      if (clients.size === 0) this.byEnvironment.delete(environmentId);
    };
  }

  /**
   * Registers a stream and sends it the latest ruleset, or `event: current` when it has that
   * revision already. Added before the ruleset is fetched, so that a change landing meanwhile is
   * pushed to it too. Returns the removal, for when the transport closes.
   */
  async connect(environmentId: string, client: StreamClient): Promise<() => void> {
    const remove = this.add(environmentId, client);
    try {
      const built = await this.deps.cache.get(environmentId);
      if (!this.delivered.has(client) && client.revision === built.revision)
        this.write(client, currentEvent(built.revision));
      else this.send(client, built);
    } catch (error) {
      remove();
      throw error;
    }
    return remove;
  }

  /**
   * Sends the ruleset to one stream, unless it already has this revision: as a patch when the
   * client takes them and has the revision the patch starts from, else whole.
   */
  send(client: StreamClient, built: BuiltRuleset): void {
    // A change pushed while the stream was connecting can be written before the older ruleset the
    // connect fetched first; that one must then not follow it. Revisions only grow on the server,
    // but a client's Last-Event-ID is only compared for equality (it may come from another
    // database).
    const delivered = this.delivered.get(client);
    if (client.revision === built.revision || (delivered !== undefined && built.revision < delivered)) return;
    this.delivered.set(client, built.revision);
    const served = client.pick(built);
    const patches = (client.patches ?? 0) > (served.encrypted ? 1 : 0);
    const patch = patches && served.patch?.base === client.revision ? served.patch : undefined;
    client.revision = built.revision;
    this.write(client, patch ? patch.event : served.event);
  }

  private write(client: StreamClient, chunk: Uint8Array): void {
    const buffered = client.buffered?.() ?? 0;
    if (client.drop && buffered > this.deps.maxBufferedBytes) {
      this.droppedSlow++;
      this.deps.logger.debug({ buffered }, 'dropped an SDK stream whose client stopped reading');
      client.drop();
      return;
    }
    client.write(chunk);
  }

  /** Ends every stream, so that a graceful shutdown is not held open by idle SDKs. */
  closeAll(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    const all = [...this.byEnvironment.values()].flatMap((clients) => [...clients]);
    this.byEnvironment.clear();
    for (const client of all) client.end();
  }

  private schedule(environmentId: string): void {
    // Changes arriving together (a transaction touching many flags) become one push.
    if (this.pending.has(environmentId)) return;
    this.pending.add(environmentId);
    setImmediate(() => {
      this.pending.delete(environmentId);
      void this.push(environmentId);
    });
  }

  private async push(environmentId: string): Promise<void> {
    const clients = this.byEnvironment.get(environmentId);
    if (!clients || clients.size === 0) return;
    try {
      const built = await this.deps.cache.get(environmentId);
      for (const client of clients) this.send(client, built);
    } catch (error) {
      this.deps.logger.error({ err: error, environmentId }, 'could not push a ruleset change');
    }
  }

  private ping(): void {
    for (const clients of this.byEnvironment.values()) {
      for (const client of clients) this.write(client, ping);
    }
  }
}
