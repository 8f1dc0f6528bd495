/**
 * Handler of a provider event (OpenFeature's `EventHandler`, structurally).
 *
 * @example
 * events.addHandler('PROVIDER_READY', (details) => console.log(details));
 */
export type ProviderEventHandler = (details?: Record<string, unknown>) => unknown;

/**
 * The provider event emitter OpenFeature expects on `provider.events`, written here so that the
 * providers need no runtime import from `@openfeature/*` (which are optional peers: an app has
 * the server SDK or the web SDK, rarely both). Handler errors are contained.
 *
 * @example
 * const events = new ProviderEventEmitter();
 * events.addHandler('PROVIDER_CONFIGURATION_CHANGED', () => console.log('new flags'));
 * events.emit('PROVIDER_CONFIGURATION_CHANGED', {});
 */
export class ProviderEventEmitter {
  private readonly handlers = new Map<string, Set<ProviderEventHandler>>();
  private logger: { error(...args: unknown[]): void } = console;

  emit(eventType: string, context?: Record<string, unknown>): void {
    for (const handler of [...(this.handlers.get(eventType) ?? [])]) {
      try {
        const result = handler(context);
        if (result instanceof Promise) result.catch((error: unknown) => this.logger.error(error));
      } catch (error) {
        this.logger.error(error);
      }
    }
  }

  addHandler(eventType: string, handler: ProviderEventHandler): void {
    const set = this.handlers.get(eventType) ?? new Set();
    set.add(handler);
    this.handlers.set(eventType, set);
  }

  removeHandler(eventType: string, handler: ProviderEventHandler): void {
    this.handlers.get(eventType)?.delete(handler);
  }

  removeAllHandlers(eventType?: string): void {
    if (eventType === undefined) this.handlers.clear();
    else this.handlers.delete(eventType);
  }

  getHandlers(eventType: string): ProviderEventHandler[] {
    return [...(this.handlers.get(eventType) ?? [])];
  }

  setLogger(logger: { error(...args: unknown[]): void }): this {
    this.logger = logger;
    return this;
  }
}
