// npm's `prepare` step after an install in this repository: builds the SDK workspace (sdk/dist) so
// that `@flagstaff/sdk` imports with plain node here, as it would from the registry. A production
// install (`npm ci --omit=dev`) has no TypeScript, and the service runs from its sources with tsx,
// which needs no build: the step is skipped there instead of failing the install.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { createRequire } from 'node:module';
import process from 'node:process';

try {
  createRequire(import.meta.url).resolve('typescript');
} catch {
  console.log('prepare: TypeScript is not installed (a production install): skipping the SDK build');
  process.exit(0);
}
const build = spawnSync('npm', ['run', 'build', '-w', 'sdk'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
