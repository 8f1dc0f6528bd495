export { FlagstaffServerProvider } from './server-provider.js';
export { FlagstaffWebProvider } from './web-provider.js';
export type { FlagstaffProviderOptions } from './provider-core.js';
export { toAttributes, toResolution } from './resolution.js';
