import { buildClient, type FlagstaffClient } from './build-client.js';
import type { ClientOptions } from './client-types.js';
import { connectEventSource } from './event-source-stream.js';

/**
 * Creates a client for pages (what bundlers resolve `@flagstaff/sdk` to under the `browser`
 * condition): streams with `EventSource` only, and decrypts only when given `decrypt` (pass
 * `decryptPayload`), so that neither the fetch stream reader nor AES code is shipped by default.
 *
 * @example
 * const flags = createClient({ apiHost: 'https://flags.example.com', sdkKey, attributes: { id } });
 * await flags.ready({ timeoutMs: 1500 });
 * flags.isOn('new-nav');
 */
export function createClient(options: ClientOptions): FlagstaffClient {
  return buildClient(options, connectEventSource);
}
