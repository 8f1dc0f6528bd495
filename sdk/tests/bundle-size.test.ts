// The browser bundle budget: what a page pays for `import { createClient } from '@flagstaff/sdk'`
// (client + evaluation engine), minified and gzipped, resolved the way a browser bundler resolves
// it (the package's `browser` export condition). The client's and the engine's shares are printed
// too, so a regression points at its owner.
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The target is 6 KB. A size-first redesign of engine and client (decision 0007) took the
// bundle from 10,333 to 7,746 B; what remains is what the issue asks for (operators, versions,
// sticky bucketing, prerequisites, the event queue with retries and beacon, SSE with patches,
// polling, cache). Fixes since then, each found by a review or audit and each with its measured
// cost in decision 0007, brought it to 8,022 B; encrypted patches (a feature, also in 0007) to
// 8,104 B; ready() naming an unusable network ruleset to 8,123 B; a patch parsing the held
// ruleset only when it applies to 8,125 B; a bound on condition nesting +65 B; the regex engine as
// an option (the server's is linear-time) +21 B. The budget holds the achieved
// size against regressions: lower it as the bundle shrinks; raise it only by a fix's measured
// cost, written down in 0007. @growthbook/growthbook, bundled the same way, is printed alongside for scale.
const TARGET = 6144; // bytes, min+gzip
const BUDGET = 8_212; // bytes, min+gzip
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

  it('prints @growthbook/growthbook bundled the same way, for scale', async () => {
    const ours = await measure();
    for (const name of ['GrowthBook', 'GrowthBookClient']) {
      const peer = await measure([], `export { ${name} } from '@growthbook/growthbook';`);
      console.log(
        `@growthbook/growthbook ${name}: ${peer.gzip} B min+gzip; @flagstaff/sdk createClient is ` +
          `${(ours.gzip / peer.gzip).toFixed(2)}x its size`,
      );
      expect(peer.inputs.some((input) => input.includes('@growthbook/growthbook'))).toBe(true);
    }
  });

  it('gives the OpenFeature web provider the browser client too', async () => {
    const web = await measure([], "export { FlagstaffWebProvider } from '@flagstaff/sdk/openfeature';");
    console.log(`FlagstaffWebProvider browser bundle: ${web.gzip} B min+gzip (@openfeature/* external)`);
    expect(web.inputs).toContain('sdk/src/create-browser-client.ts');
    expect(web.inputs).not.toContain('sdk/src/fetch-stream.ts');
  });
});
