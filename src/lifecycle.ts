// What to do when the service stops, registered by the parts that own it. Two phases, because
// some work must end before the HTTP server can finish (open SSE streams would hold it forever)
// and some only after every in-flight request is done (committing the last event batches).
// `src/index.ts` runs them on SIGTERM/SIGINT; tests call them themselves.
type Hook = () => Promise<void> | void;

export class Lifecycle {
  private readonly stoppingHooks: Hook[] = [];
  private readonly closingHooks: Hook[] = [];

  /** Runs as soon as shutdown starts, while in-flight requests still finish. */
  onStopping(hook: Hook): void {
    this.stoppingHooks.push(hook);
  }

  /** Runs after the HTTP server has finished its last request, before the database closes. */
  onClose(hook: Hook): void {
    this.closingHooks.push(hook);
  }

  async stopping(): Promise<void> {
    await Promise.allSettled(this.stoppingHooks.map((hook) => hook()));
  }

  async close(): Promise<void> {
    await this.stopping();
    await Promise.allSettled(this.closingHooks.map((hook) => hook()));
  }
}
