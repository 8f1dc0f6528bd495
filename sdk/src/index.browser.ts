// @flagstaff/sdk for pages (the `browser` export condition): EventSource streaming only, decryption
// opt-in; the API is otherwise the same as `index.ts`.
export { createClient } from './create-browser-client.js';
export * from './public-api.js';
