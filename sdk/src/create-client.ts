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
  return buildClient(options, connectAnyStream, decryptPayload, contextualBandits);
}
