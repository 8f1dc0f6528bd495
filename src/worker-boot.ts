// The code a worker thread is started with (`new Worker(code, { eval: true })`) to load the module
// that starts it: from the compiled build (dist/, what `npm start` runs) a plain import; from the
// TypeScript sources (tests, `npm run dev`) tsx's loader is registered first.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export function workerBoot(moduleUrl: string): string {
  const load = `import(${JSON.stringify(moduleUrl)})`;
  if (!moduleUrl.endsWith('.ts')) return load;
  const tsxRoot = dirname(createRequire(moduleUrl).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  return `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return ${load}; })`;
}
