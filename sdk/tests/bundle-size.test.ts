// The browser bundle budget: what a page pays for `import { createClient } from '@flagstaff/sdk'`
// (client + evaluation engine), minified and gzipped, resolved the way a browser bundler resolves
// it (the package's `browser` export condition). The client's and the engine's shares are printed
// too, so a regression points at its owner.
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The target is 6 KB. A size-first redesign of engine and client (decision 0007) took the
// bundle from 10,333 to 7,746 B (engine ~3.8 KB, client ~3.95 KB); the review's fixes and six
// more (prerequisite exposures logged, an EventSource that throws, Retry-After past the timer
// limit, streams hung up on at once, sticky-store read failures reported, attributes whose getters
// throw) made it 7,888 B. What
// remains is what the issue asks for (operators, versions, sticky bucketing, prerequisites, the
// event queue, SSE with patches, polling, cache, beacon...). The budget holds that size against
// regressions until the bundle is slimmed further (tracked in the issue). Lower it as the bundle
// shrinks; never raise it silently. (Raised 10,220 -> 10,380 for stream patches; lowered to 7,800
// after the redesign; raised to 7,900 for those six fixes; raised by the measured 13 B to 7,913 for
// two more: a server's `retry: 0` no longer zeroes the stream backoff (+6 B), and timers cap delays
// past the 2^31-1 ms limit, which fired at once (`pollIntervalMs: Infinity` polled in a loop,
// `ready({ timeoutMs: Infinity })` timed out at once; +7 B), 7,901 B in all; raised by the measured
// 16 B to 7,929 because a response that is no payload (an empty 200, `[]`) replaced the ruleset in
// use with an empty one, silently; 7,917 B in all. Async onExposure/subscribe callbacks that
// reject are logged instead of left unhandled: +10 B within that budget, 7,927 B; a 2xx answer
// to events whose body is JSON null no longer reads as a failure to retry: +1 B, 7,928 B; raised
// by the measured 8 B to 7,937 because `maxBatchSize: 0` made batches of nothing, an endless loop
// of empty POSTs and, on page hide, of sendBeacon calls that froze the page; 7,936 B; raised by
// the measured 6 B to 7,943 because the network load waited for the cache read, so a cache store
// that never answered kept the client on defaults for good; 7,942 B; raised by the measured 2 B
// to 7,945 for the service's `event: current`, which proves a resumed stream back, so polling
// stops; 7,944 B; raised by the measured 62 B to 8,007 for a request timeout (`requestTimeoutMs`,
// 10 s): a ruleset GET or events POST that never answered held back streaming, polling and the
// event queue (flush() never settled), for ~5 min in Node, possibly for ever in a page; 8,006 B.
// Evaluation errors mapped to GENERAL instead of PARSE_ERROR: -8 B, 7,998 B. Raised by 10 B to 8,017
// for skipping a payload text identical to the one in use (+18 B, 8 B of it within the budget
// that change freed): a cache entry identical to the network ruleset was compiled twice and
// announced to subscribers twice; 8,016 B. Raised by the measured 6 B to 8,023 because
// `requestTimeoutMs: Infinity` left a ~23-day timer per request, piling up: it disables the
// timeout like 0; 8,022 B.)
const TARGET = 6144; // bytes, min+gzip
const BUDGET = 8_023; // bytes, min+gzip
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const measure = async (
  plugins: Plugin[] = [],
  contents = "export { createClient } from '@flagstaff/sdk';",
) => {
  const result = await build({
    stdin: { contents, resolveDir: repoRoot },
    // platform 'browser' adds the `browser` condition; `flagstaff-source` picks the sources the
    // published dist/ is compiled from (fresh clones have no dist/).
    conditions: ['flagstaff-source'],
    bundle: true,
    format: 'esm',
    minify: true,
    platform: 'browser',
    write: false,
    metafile: true,
    plugins,
    external: ['@openfeature/*'],
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.keys(result.metafile.inputs);
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs };
};

// Leaves the engine out, to see the client's own share.
const withoutCore: Plugin = {
  name: 'without-core',
  setup(b) {
    b.onResolve({ filter: /\/core\/index\.js$/ }, (args) => ({ path: args.path, external: true }));
  },
};

describe('browser bundle size', () => {
  it(`stays under ${BUDGET} bytes min+gzip (client + core)`, async () => {
    const total = await measure();
    const client = await measure([withoutCore]);
    console.log(
      `@flagstaff/sdk browser bundle: ${total.min} B min, ${total.gzip} B min+gzip ` +
        `(client alone ${client.min} B min, ${client.gzip} B min+gzip; budget ${BUDGET} B, target ${TARGET} B)`,
    );
    expect(total.inputs).toContain('sdk/src/index.browser.ts');
    expect(total.gzip, `bundle is ${total.gzip} B min+gzip`).toBeLessThan(BUDGET);
  });

  it('gives the OpenFeature web provider the browser client too', async () => {
    const web = await measure([], "export { FlagstaffWebProvider } from '@flagstaff/sdk/openfeature';");
    console.log(`FlagstaffWebProvider browser bundle: ${web.gzip} B min+gzip (@openfeature/* external)`);
    expect(web.inputs).toContain('sdk/src/create-browser-client.ts');
    expect(web.inputs).not.toContain('sdk/src/fetch-stream.ts');
  });
});
