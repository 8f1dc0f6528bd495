// Side-by-side evaluation benchmark: the same ~200-feature ruleset (seeded) evaluated for 100k
// distinct users by Flagstaff's engine and by @growthbook/growthbook on the identical payload, with
// unleash-client on an equivalent ruleset as a second reference. Values are first checked to be
// identical between Flagstaff and GrowthBook; then throughput is measured. Every engine logs its
// exposures into the same kind of bounded sink, so all do the same work.
import { compile, evaluate } from '@flagstaff/sdk/core';
import type { EvaluationContext } from '@flagstaff/sdk/core';
import { GrowthBook, GrowthBookClient } from '@growthbook/growthbook';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { betaGroupMembers, generateFeatures, generateUsers } from './generate-ruleset.js';
import { toGrowthBookPayload } from './to-growthbook-payload.js';
import { toUnleashContext, toUnleashToggles } from './to-unleash-toggles.js';

const FEATURES = 200;
const USERS = 100_000;
const FEATURES_PER_USER = 5; // each user evaluates a rotating slice: 500k evaluations per engine
const SAMPLE_USERS = 1_000; // × every feature for the equality check
const MIN_MS = 1_500;

/** A bounded exposure log: what a real SDK does (queue for sending) without unbounded memory. */
class Sink {
  readonly #buf: unknown[] = new Array<unknown>(4096);
  #n = 0;
  push(item: unknown): void {
    this.#buf[this.#n++ & 4095] = item;
  }
  get count(): number {
    return this.#n;
  }
}

const features = generateFeatures(FEATURES);
const users = generateUsers(USERS);
const members = betaGroupMembers(users);
const payload = toGrowthBookPayload(features, members);
const keys = features.map((f) => f.key);

// --- engines -------------------------------------------------------------------------------
const ruleset = compile(payload, { logger: (m) => console.warn(`compile: ${m}`) });
if (ruleset.issues.length > 0) throw new Error(`the benchmark payload has ${ruleset.issues.length} issues`);
const oursSink = new Sink();
const oursContexts: EvaluationContext[] = users.map((u) => ({ attributes: u }));

const gbSink = new Sink();
const gb = new GrowthBook({ trackingCallback: (exp, res) => gbSink.push([exp.key, res.key]) });
gb.initSync({ payload: payload as Parameters<GrowthBook['initSync']>[0]['payload'] });

const gbcSink = new Sink();
const gbc = new GrowthBookClient({ trackingCallback: (exp, res) => gbcSink.push([exp.key, res.key]) });
gbc.initSync({ payload: payload as Parameters<GrowthBookClient['initSync']>[0]['payload'] });
const gbcContexts = users.map((u) => ({ attributes: u }));

// refreshInterval 0 disables fetching entirely: the toggles come from bootstrap, nothing leaves
// the process (the URL is loopback and never contacted).
const unleash = new Unleash({
  url: 'http://127.0.0.1:9/api/',
  appName: 'flagstaff-bench',
  refreshInterval: 0,
  disableMetrics: true,
  skipInstanceCountWarning: true,
  storageProvider: new InMemStorageProvider(),
  bootstrap: { data: toUnleashToggles(features, members) },
});
unleash.on('error', (e: unknown) => console.error('unleash:', e));
await new Promise<void>((resolve) =>
  unleash.isSynchronized() ? resolve() : unleash.once('synchronized', () => resolve()),
);
const unleashSink = new Sink();
const unleashContexts = users.map(toUnleashContext);

// --- 1. identical values on a sample ---------------------------------------------------------
{
  let mismatches = 0;
  let oursExposures = 0;
  const before = gbSink.count;
  for (let u = 0; u < SAMPLE_USERS; u++) {
    void gb.setAttributes(users[u]);
    for (const key of keys) {
      const ours = evaluate(ruleset, key, oursContexts[u]);
      if (ours.exposure) oursExposures++;
      const theirs = gb.evalFeature(key).value;
      const theirsClient = gbc.evalFeature(key, gbcContexts[u]).value;
      const a = JSON.stringify(ours.value);
      if (a !== JSON.stringify(theirs) || a !== JSON.stringify(theirsClient)) {
        if (mismatches++ < 10) {
          console.error(
            `MISMATCH ${key} for ${users[u].id}: ours ${a}, growthbook ${JSON.stringify(theirs)}`,
          );
        }
      }
    }
  }
  const gbExposures = gbSink.count - before;
  console.log(
    `equality check: ${SAMPLE_USERS} users × ${keys.length} features = ${SAMPLE_USERS * keys.length} evaluations, ` +
      `${mismatches} value mismatches; exposures ours ${oursExposures}, growthbook ${gbExposures}`,
  );
  if (mismatches > 0 || oursExposures !== gbExposures) {
    console.error('FAIL: Flagstaff and GrowthBook disagree on the same payload');
    process.exit(1);
  }
}

// --- 2. throughput --------------------------------------------------------------------------
type Run = (u: number, key: string) => void;
const engines: [string, (u: number) => void, Run][] = [
  [
    'flagstaff (sdk/core)',
    () => {},
    (u, key) => {
      const e = evaluate(ruleset, key, oursContexts[u]);
      if (e.exposure !== undefined) oursSink.push(e.exposure);
      if (e.otherExposures !== undefined) for (const x of e.otherExposures) oursSink.push(x);
    },
  ],
  [
    '@growthbook/growthbook GrowthBook',
    (u) => void gb.setAttributes(users[u]),
    (_u, key) => void gb.evalFeature(key),
  ],
  [
    '@growthbook/growthbook GrowthBookClient',
    () => {},
    (u, key) => void gbc.evalFeature(key, gbcContexts[u]),
  ],
  [
    'unleash-client (equivalent rules)',
    () => {},
    (u, key) => {
      const v = unleash.getVariant(key, unleashContexts[u]);
      if (v.enabled) unleashSink.push(v.name);
    },
  ],
];

function pass(setUser: (u: number) => void, run: Run, from: number, to: number): number {
  let n = 0;
  for (let u = from; u < to; u++) {
    setUser(u);
    const offset = (u * 7) % keys.length; // rotating slices cover every feature
    for (let j = 0; j < FEATURES_PER_USER; j++) {
      run(u, keys[(offset + j * 40) % keys.length]);
      n++;
    }
  }
  return n;
}

const rows: { name: string; evals: number; ms: number; perSec: number }[] = [];
const sinks = [oursSink, gbSink, gbcSink, unleashSink];
const exposures: number[] = [];
for (const [i, [name, setUser, run]] of engines.entries()) {
  pass(setUser, run, 0, 5_000); // warm-up: let the JIT settle before timing
  const logged = sinks[i].count;
  // Whole passes over the 100k users until at least MIN_MS have elapsed: fast engines get a
  // measurement long enough to be stable, slow ones are not made to run for minutes.
  const start = performance.now();
  let evals = 0;
  let passes = 0;
  do {
    evals += pass(setUser, run, 0, USERS);
    passes++;
  } while (performance.now() - start < MIN_MS);
  const ms = performance.now() - start;
  rows.push({ name, evals, ms, perSec: evals / (ms / 1000) });
  exposures.push((sinks[i].count - logged) / passes);
}
unleash.destroy();

const ours = rows[0].perSec;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
console.log(
  `\n${FEATURES} features, ${USERS.toLocaleString('en-US')} distinct users, ${FEATURES_PER_USER} features per user\n`,
);
console.log(
  `${'engine'.padEnd(42)}${'evaluations'.padStart(13)}${'time (ms)'.padStart(11)}${'evals/s'.padStart(14)}${'flagstaff ×'.padStart(13)}`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(42)}${fmt(r.evals).padStart(13)}${fmt(r.ms).padStart(11)}${fmt(r.perSec).padStart(14)}${(ours / r.perSec).toFixed(2).padStart(13)}`,
  );
}
console.log(
  `\nexposures logged per pass over the users: flagstaff ${fmt(exposures[0])}, growthbook ${fmt(exposures[1])} ` +
    `(the GrowthBook class deduplicates per unit across the run), growthbook client ${fmt(exposures[2])}, ` +
    `unleash enabled variants ${fmt(exposures[3])}`,
);
const best = Math.max(rows[1].perSec, rows[2].perSec);
const ratio = ours / best;
console.log(`flagstaff vs the faster @growthbook/growthbook API: ${ratio.toFixed(2)}× (target ≥ 3×)`);
