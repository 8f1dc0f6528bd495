// The stream hub alone, with a ruleset cache whose answers the test releases in any order: what a
// stream gets when a change is pushed while it is still connecting.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import type { BuiltRuleset, RulesetCache, ServedBody } from '../../src/sdk-api/ruleset-cache.ts';
import { RulesetChanges } from '../../src/sdk-api/ruleset-changes.ts';
import { StreamHub, type StreamClient } from '../../src/sdk-api/stream-hub.ts';

const built = (revision: number) => ({ revision }) as BuiltRuleset;
const text = (chunk: Uint8Array) => new TextDecoder().decode(chunk);

function setup() {
  const answers: ((b: BuiltRuleset) => void)[] = [];
  const cache = {
    get: () => new Promise<BuiltRuleset>((resolve) => answers.push(resolve)),
  } as unknown as RulesetCache;
  const changes = new RulesetChanges();
  const hub = new StreamHub({
    cache,
    changes,
    logger: createLogger('silent'),
    heartbeatMs: 60_000,
    maxBufferedBytes: 1 << 20,
  });
  const written: string[] = [];
  const client: StreamClient = {
    write: (chunk) => void written.push(text(chunk)),
    pick: (b) => ({ event: new TextEncoder().encode(`ruleset ${b.revision}`) }) as ServedBody,
    end: () => {},
  };
  const settled = () => new Promise((resolve) => setImmediate(resolve));
  return { hub, changes, answers, written, client, settled };
}

describe('StreamHub', () => {
  it('never sends a connecting stream an older ruleset after a change pushed meanwhile', async () => {
    const { hub, changes, answers, written, client, settled } = setup();
    const connected = hub.connect('env', client);
    changes.publish(['env']);
    await settled();
    expect(answers).toHaveLength(2); // the connect's fetch, then the push's
    answers[1]!(built(8));
    await settled();
    answers[0]!(built(7)); // the connect's fetch, answered last with what it saw first
    (await connected)();
    expect(written).toEqual(['ruleset 8']);
    hub.closeAll();
  });

  it('tells a stream resumed at the current revision so, and sends it the next change', async () => {
    const { hub, changes, answers, written, client, settled } = setup();
    const connected = hub.connect('env', { ...client, revision: 7 });
    answers[0]!(built(7));
    await connected;
    expect(written).toEqual(['id: 7\nevent: current\ndata: {"revision":7}\n\n']);
    changes.publish(['env']);
    await settled();
    answers[1]!(built(8));
    await settled();
    expect(written.at(-1)).toBe('ruleset 8');
    hub.closeAll();
  });
});
