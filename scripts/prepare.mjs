// npm's `prepare` step after an install in this repository, and `prestart` before `npm start`:
// builds the SDK workspace (sdk/dist, so that `@flagstaff/sdk` imports with plain node, as it would
// from the registry) and the service (dist/, which `npm start` runs with plain node: signals reach
// it directly and start-up compiles nothing). With `--if-stale` (prestart) it builds only when a
// source is newer than the last build, so a `git pull` without an install does not run old code.
// A production install (`npm ci --omit=dev`) has no TypeScript: the step is skipped there, and the
// build must come from elsewhere (say, the stage of an image that had it).
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { cpSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const stamp = join(root, 'dist', '.build-stamp');

/** Newest modification time of the files under `dir` (0 if there is none). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

if (process.argv.includes('--if-stale') && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs;
  const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'sdk', 'src')));
  if (sources <= built) process.exit(0);
  console.log('prestart: sources changed since the last build; building');
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (existsSync(stamp)) process.exit(0);
  console.log('prepare: TypeScript is not installed (a production install): skipping the build');
  process.exit(0);
}
// Run with this node: spawning `npm` needs a shell on Windows.
const build = (cwd) =>
  spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd, stdio: 'inherit' });
for (const cwd of [join(root, 'sdk'), root]) {
  const result = build(cwd);
  if (result.status !== 0) process.exit(result.status ?? 1);
}
// The migrations are read at start from beside the compiled open-db.js.
cpSync(join(root, 'src', 'db', 'migrations'), join(root, 'dist', 'db', 'migrations'), { recursive: true });
writeFileSync(stamp, new Date().toISOString() + '\n');
