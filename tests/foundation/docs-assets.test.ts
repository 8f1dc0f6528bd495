// The API reference's assets: a name that is a property of every object (`constructor`,
// `__proto__`…) is an unknown asset, a 404, not a 500 with a stack trace (issue 13).
import { describe, expect, it } from 'vitest';
import { makeTestApp } from '../helpers/test-app.ts';

describe('GET /api/docs/assets/:file', () => {
  it('answers 404 for names inherited from Object.prototype, and still serves the real assets', async () => {
    const t = await makeTestApp();
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'nope.js']) {
      const res = await t.request('GET', `/api/docs/assets/${name}`);
      expect(res.status, name).toBe(404);
      expect(res.json.error.code).toBe('not_found');
      expect(res.text).not.toContain(' at ');
    }
    const init = await t.request('GET', '/api/docs/assets/docs-init.js');
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toContain('text/javascript');
  });
});
