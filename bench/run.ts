// Runs every side-by-side benchmark (each folder of bench/ with an index.ts), one after another in
// its own process so that one benchmark's heap and JIT state never colour the next.
// `npm run bench` runs them all; `npm run bench -- sdk-eval serve` runs the ones named.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'index.ts')))
  .map((d) => d.name)
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
  console.log(`\n=== bench/${name} ===`);
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=flagstaff-source', join(here, name, 'index.ts')],
    { stdio: 'inherit' },
  );
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
