// @flagstaff/sdk: the client (fetch, SSE, cache, exposure queue) over the shared evaluation engine.
// Bundlers targeting browsers resolve `index.browser.ts` instead (the `browser` export condition).
export { createClient } from './create-client.js';
export * from './public-api.js';
