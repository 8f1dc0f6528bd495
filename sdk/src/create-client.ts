import { buildClient, type FlagstaffClient } from './build-client.js';
import type { ClientOptions } from './client-types.js';
import { contextualBandits, decryptPayload } from './core/index.js';
import { connectAnyStream } from './fetch-stream.js';

export type { FlagstaffClient } from './build-client.js';

/**
 * Creates a client (Node and other non-browser runtimes: SSE over fetch unless an `EventSource` is
 * given; decryption and contextual bandits built in). It starts loading at once; evaluations before
 * the first load serve the bootstrap or cached ruleset, else fallbacks. No method throws into the
 * host app.
 *
 * @example
 * // Node server: one client per process, one evaluator per request.
 * const flags = createClient({ apiHost: 'https://flags.example.com', sdkKey: process.env.FLAGSTAFF_KEY! });
 * await flags.ready({ timeoutMs: 2000 });
 * app.get('/', (req, res) => {
 *   const user = flags.forUser({ id: req.user.id, plan: req.user.plan });
 *   res.send(user.isOn('new-home') ? newHome() : oldHome());
 * });
 * process.on('SIGTERM', () => void flags.close());
 */
export function createClient(options: ClientOptions): FlagstaffClient {
  // A request still hanging after close() (a ruleset GET, a batch close() gave up on) holds its
  // socket, and with it the Node process: close() aborts them. Pages have no process to hold or
  // release: this is not in the browser build.
  const requests = new AbortController();
  // Requests with a signal of their own (their timeout, the stream's stop) get one that either
  // aborts: close() calls the `aborts` still registered, each leaving the set when its request's
  // own signal fires, which it always does (a timeout fires after the request is done; a stream is
  // aborted when stopped). Not listeners on `requests.signal`: past 10 of them Node warns of a leak.
  // (AbortSignal.any would do this, but Node 18 has none.)
  const aborts = new Set<() => void>();
  const signalOf = (own?: AbortSignal | null) => {
    if (!own) return requests.signal;
    const both = new AbortController();
    const abort = () => both.abort(requests.signal.aborted ? requests.signal.reason : own.reason);
    if (requests.signal.aborted || own.aborted) abort();
    else {
      aborts.add(abort);
      own.addEventListener('abort', () => {
        aborts.delete(abort);
        abort();
      });
    }
    return both.signal;
  };
  const client = buildClient(
    {
      ...options,
      fetch: (url, init) => (options.fetch ?? fetch)(url, { ...init, signal: signalOf(init?.signal) }),
    },
    connectAnyStream,
    decryptPayload,
    contextualBandits,
  );
  const close = client.close;
  let closing: Promise<void> | undefined;
  // One close for every caller: a second one waits for the first (whose flush it must not cut short
  // by aborting its requests).
  client.close = (closeOptions) =>
    (closing ??= (async () => {
      // Retries wait on unref'ed timers: with the server down nothing else may hold the event loop,
      // and Node would end a script in the middle of `await close()`. Held until close() settles
      // (it is bounded by its timeoutMs).
      const hold = setInterval(() => {}, 1e9);
      try {
        await close(closeOptions);
      } finally {
        clearInterval(hold);
        requests.abort();
        for (const abort of aborts) abort();
      }
    })());
  return client;
}
