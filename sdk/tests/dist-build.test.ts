// The published package: `npm run build -w sdk` (tsc -p sdk/tsconfig.build.json) compiled into a
// scratch copy of the package, then used the way an app uses it: plain Node without tsx or the
// `flagstaff-source` condition (every `exports` and `imports` target, the `browser` condition too,
// the real OpenFeature server SDK), and a TypeScript consumer type-checked against the .d.ts alone.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
let scratch: string;
let pkg: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'flagstaff-sdk-dist-'));
  pkg = join(scratch, 'sdk');
  cpSync(join(root, 'sdk/src'), join(pkg, 'src'), { recursive: true });
  for (const file of ['package.json', 'tsconfig.build.json'])
    cpSync(join(root, 'sdk', file), join(pkg, file));
  cpSync(join(root, 'tsconfig.json'), join(scratch, 'tsconfig.json'));
  // The OpenFeature SDKs (peer dependencies) and TypeScript's own types, as an app installs them.
  symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
  await run(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], { cwd: pkg });
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

// Runs an ES module inside the package (so `@flagstaff/sdk` and `#create-client` resolve through
// its own package.json, as they would from node_modules) with plain Node; returns its JSON output.
const node = async (code: string, args: string[] = []) => {
  const file = join(pkg, `smoke-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, code);
  const { stdout } = await run(process.execPath, [...args, file], { cwd: pkg, timeout: 20_000 }).catch(
    (error: Error & { stderr: string }) => {
      throw new Error(`${error.message} (exit ${(error as { code?: number }).code}) ${error.stderr}`);
    },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
};

const payload = {
  features: {
    'new-checkout': {
      defaultValue: false,
      rules: [
        {
          id: 'r1',
          key: 'checkout-exp',
          variations: [false, true],
          weights: [0, 1],
          hashVersion: 2,
          meta: [{ key: 'control' }, { key: 'treatment' }],
        },
      ],
    },
  },
};

describe('the built package (dist/)', () => {
  it('has every file its exports and imports name, each with its declarations', () => {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    const targets: string[] = [];
    const walk = (entry: unknown, key = ''): void => {
      if (key === 'flagstaff-source') return; // the sources, for the repository's own tools
      if (typeof entry === 'string') targets.push(entry);
      else for (const [k, v] of Object.entries(entry as object)) walk(v, k);
    };
    walk(manifest.exports);
    walk(manifest.imports);
    expect(targets).toContain('./dist/index.browser.js');
    for (const target of targets) expect(existsSync(join(pkg, target)), target).toBe(true);
    for (const target of targets.filter((t) => t.endsWith('.js')))
      expect(existsSync(join(pkg, target.replace(/\.js$/, '.d.ts'))), `${target} declarations`).toBe(true);
  });

  it('works from plain Node: client, engine, decryption and the real OpenFeature server SDK', async () => {
    const out = await node(`
      import { createClient, decryptPayload, memoryCache } from '@flagstaff/sdk';
      import { compile, evaluate, InMemoryStickyBucketService } from '@flagstaff/sdk/core';
      import { FlagstaffServerProvider } from '@flagstaff/sdk/openfeature';
      import { OpenFeature } from '@openfeature/server-sdk';
      const payload = ${JSON.stringify(payload)};
      const client = createClient({ apiHost: 'http://127.0.0.1:9', sdkKey: 'k', bootstrap: payload,
        streaming: false, pollIntervalMs: 0, cache: memoryCache(), logger: { warn() {}, error() {} } });
      const engine = evaluate(compile(payload), 'new-checkout', { attributes: { id: 'u1' } });
      await OpenFeature.setProviderAndWait(new FlagstaffServerProvider(client, { readyTimeoutMs: 100 }));
      const details = await OpenFeature.getClient().getBooleanDetails('new-checkout', false, { targetingKey: 'u1' });
      await OpenFeature.close();
      await client.close({ timeoutMs: 100 });
      console.log(JSON.stringify({
        client: client.forUser({ id: 'u1' }).evaluate('new-checkout', false),
        engine: engine.reason,
        sticky: typeof new InMemoryStickyBucketService().getAssignments,
        decrypt: typeof decryptPayload,
        openfeature: { value: details.value, reason: details.reason, variant: details.variant },
        createClient: import.meta.resolve('#create-client'),
      }));
    `);
    expect(out.client).toMatchObject({
      value: true,
      reason: 'SPLIT',
      ruleId: 'r1',
      variationKey: 'treatment',
    });
    expect(out.engine).toBe('SPLIT');
    expect(out.sticky).toBe('function');
    expect(out.decrypt).toBe('function');
    expect(out.openfeature).toEqual({ value: true, reason: 'SPLIT', variant: 'treatment' });
    expect(out.createClient).toMatch(/\/dist\/create-client\.js$/);
  });

  it('resolves the browser build under the browser condition, for the client and the web provider', async () => {
    const out = await node(
      `
      import { createClient } from '@flagstaff/sdk';
      import { FlagstaffWebProvider } from '@flagstaff/sdk/openfeature';
      const client = createClient({ apiHost: 'http://127.0.0.1:9', sdkKey: 'k', bootstrap: ${JSON.stringify(payload)},
        streaming: false, pollIntervalMs: 0, cache: false, disableEvents: true, logger: { warn() {}, error() {} } });
      const provider = new FlagstaffWebProvider(client);
      const resolution = provider.resolveBooleanEvaluation('new-checkout', false, { targetingKey: 'u1' });
      await client.close({ timeoutMs: 100 });
      console.log(JSON.stringify({
        index: import.meta.resolve('@flagstaff/sdk'),
        createClient: import.meta.resolve('#create-client'),
        value: resolution.value,
      }));
    `,
      ['--conditions=browser'],
    );
    expect(out.index).toMatch(/\/dist\/index\.browser\.js$/);
    expect(out.createClient).toMatch(/\/dist\/create-browser-client\.js$/);
    expect(out.value).toBe(true);
  });

  it('type-checks an app against the declarations alone (node16 resolution, no skipLibCheck)', async () => {
    writeFileSync(
      join(pkg, 'consumer.ts'),
      `
      import { createClient, type FlagstaffClient, type EvaluationDetails } from '@flagstaff/sdk';
      import { compile, evaluate, InMemoryStickyBucketService } from '@flagstaff/sdk/core';
      import { FlagstaffServerProvider, FlagstaffWebProvider } from '@flagstaff/sdk/openfeature';
      import type { Provider as ServerProvider } from '@openfeature/server-sdk';
      import type { Provider as WebProvider } from '@openfeature/web-sdk';

      const client: FlagstaffClient = createClient({ apiHost: 'https://flags.example.com', sdkKey: 'k' });
      const user = client.forUser({ id: 'u1' });
      const limit: number = user.getValue('upload-limit-mb', 10);
      const label: string = client.getValue('label', 'x');
      const details: EvaluationDetails<boolean> = user.evaluate('new-checkout', false);
      // @ts-expect-error getValue is typed by its fallback
      const wrong: string = user.getValue('upload-limit-mb', 10);
      const server: ServerProvider = new FlagstaffServerProvider(client);
      const web: WebProvider = new FlagstaffWebProvider({ apiHost: 'https://flags.example.com', sdkKey: 'k' });
      const e = evaluate(compile({ features: {} }), 'x', { attributes: {} });
      export { limit, label, details, wrong, server, web, e, InMemoryStickyBucketService };
      `,
    );
    writeFileSync(
      join(pkg, 'tsconfig.consumer.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          strict: true,
          noEmit: true,
          types: ['node'], // a server app's; the server SDK's declarations need them
          typeRoots: [join(root, 'node_modules/@types')],
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      }),
    );
    const result = await run(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.consumer.json')], {
      cwd: pkg,
    }).catch((error: { stdout: string }) => error);
    expect(result.stdout).toBe('');
  });
});
