// npm's `prepare` step after an install in this repository: builds the SDK workspace (sdk/dist) so
// that `@flagstaff/sdk` imports with plain node here, as it would from the registry. A production
// install (`npm ci --omit=dev`) has no TypeScript, and the service runs from its sources with tsx,
// which needs no build: the step is skipped there instead of failing the install.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { createRequire } from 'node:module';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.log('prepare: TypeScript is not installed (a production install): skipping the SDK build');
  process.exit(0);
}
// The SDK's own build (`npm run build -w sdk`), run with this node: spawning `npm` needs a shell
// on Windows.
const sdk = fileURLToPath(new URL('../sdk/', import.meta.url));
const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: sdk, stdio: 'inherit' });
process.exit(build.status ?? 1);
