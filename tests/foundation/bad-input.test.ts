// Bad input of every kind: a 4xx whose message names the field, never a 500, and nothing written.
import { beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/test-app.ts';
import { tableRowCounts } from '../helpers/table-counts.ts';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp({ MAX_BODY_BYTES: 4096 });
});

const snapshot = () => tableRowCounts(t.db.sqlite);

async function expectRejected(
  method: string,
  path: string,
  options: Parameters<TestApp['request']>[2],
  expected: { status: number; code: string; field?: string },
) {
  const before = snapshot();
  const response = await t.request(method, path, { as: t.admin, ...options });
  expect(response.status, response.text).toBe(expected.status);
  expect(response.json.error.code).toBe(expected.code);
  expect(response.json.error.requestId).toBe(response.headers.get('x-request-id'));
  if (expected.field) expect(response.json.error.message).toContain(expected.field);
  expect(snapshot()).toEqual(before);
}

describe('bad input', () => {
  it('malformed JSON', async () => {
    await expectRejected(
      'POST',
      '/api/v1/keys',
      { raw: '{"kind": "server",' },
      { status: 400, code: 'malformed_json', field: 'body' },
    );
  });

  it('a body that is not JSON at all, or not an object', async () => {
    await expectRejected(
      'POST',
      '/api/v1/environments',
      { raw: 'key=staging', headers: { 'content-type': 'text/plain' } },
      { status: 415, code: 'unsupported_media_type', field: 'application/json' },
    );
    await expectRejected(
      'POST',
      '/api/v1/environments',
      { raw: '', headers: { 'content-type': 'application/json' } },
      { status: 400, code: 'malformed_json', field: 'body' },
    );
    await expectRejected(
      'POST',
      '/api/v1/environments',
      { body: ['staging'] },
      { status: 400, code: 'validation_failed', field: 'body' },
    );
  });

  it('wrong types name the field', async () => {
    await expectRejected(
      'POST',
      '/api/v1/keys',
      { body: { kind: 'server', environment: 42, name: 'x' } },
      { status: 400, code: 'validation_failed', field: 'body.environment' },
    );
    await expectRejected(
      'POST',
      '/api/v1/users',
      { body: { email: 'not-an-email', password: 'long enough password', role: 'viewer' } },
      { status: 400, code: 'validation_failed', field: 'body.email' },
    );
    await expectRejected(
      'POST',
      '/api/v1/users',
      { body: { email: 'a@b.co', password: 'short', role: 'viewer' } },
      { status: 400, code: 'validation_failed', field: 'body.password' },
    );
    await expectRejected(
      'POST',
      '/api/v1/users',
      { body: { email: 'a@b.co', password: 'long enough password', role: 'superuser' } },
      { status: 400, code: 'validation_failed', field: 'body.role' },
    );
    await expectRejected(
      'POST',
      '/api/v1/environments',
      { body: { key: 'Not A Slug', name: 'x' } },
      { status: 400, code: 'validation_failed', field: 'body.key' },
    );
  });

  it('missing required fields, and rules across fields', async () => {
    await expectRejected(
      'POST',
      '/api/v1/keys',
      { body: { kind: 'client' } },
      { status: 400, code: 'validation_failed', field: 'body.name' },
    );
    await expectRejected(
      'POST',
      '/api/v1/keys',
      { body: { kind: 'client', name: 'web' } },
      { status: 400, code: 'validation_failed', field: 'body.environment' },
    );
    await expectRejected(
      'POST',
      '/api/v1/keys',
      { body: { kind: 'admin', environment: 'production', name: 'ci' } },
      { status: 400, code: 'validation_failed', field: 'body.environment' },
    );
    await expectRejected(
      'POST',
      '/api/v1/keys',
      { body: { kind: 'server', environment: 'nowhere', name: 'api' } },
      { status: 400, code: 'validation_failed', field: 'body.environment' },
    );
    await expectRejected(
      'PATCH',
      '/api/v1/environments/production',
      { body: {} },
      { status: 400, code: 'validation_failed', field: 'body' },
    );
  });

  it('unknown fields are refused, not silently dropped', async () => {
    await expectRejected(
      'POST',
      '/api/v1/environments',
      { body: { key: 'staging', name: 'Staging', colour: 'red' } },
      { status: 400, code: 'validation_failed', field: 'body.colour' },
    );
    await expectRejected(
      'GET',
      '/api/v1/audit?actorTyp=user',
      {},
      { status: 400, code: 'validation_failed', field: 'query.actorTyp' },
    );
  });

  it('oversized bodies get 413', async () => {
    await expectRejected(
      'POST',
      '/api/v1/environments',
      { body: { key: 'staging', name: 'x'.repeat(5000) } },
      { status: 413, code: 'payload_too_large', field: 'body' },
    );
  });

  it('bad ids and unknown resources', async () => {
    await expectRejected(
      'DELETE',
      '/api/v1/keys/not-an-id',
      {},
      { status: 400, code: 'validation_failed', field: 'params.id' },
    );
    await expectRejected(
      'DELETE',
      '/api/v1/keys/key_doesnotexist',
      {},
      { status: 404, code: 'not_found', field: 'key_doesnotexist' },
    );
    await expectRejected(
      'PATCH',
      '/api/v1/users/usr_nobody',
      { body: { role: 'admin' } },
      { status: 404, code: 'not_found', field: 'usr_nobody' },
    );
    await expectRejected(
      'PATCH',
      '/api/v1/environments/NOPE!',
      { body: { name: 'x' } },
      { status: 400, code: 'validation_failed', field: 'params.key' },
    );
    await expectRejected(
      'GET',
      '/api/v1/nothing-here',
      {},
      { status: 404, code: 'not_found', field: '/api/v1/nothing-here' },
    );
  });

  it('bad query parameters', async () => {
    await expectRejected(
      'GET',
      '/api/v1/audit?limit=abc',
      {},
      { status: 400, code: 'validation_failed', field: 'query.limit' },
    );
    await expectRejected(
      'GET',
      '/api/v1/audit?limit=100000',
      {},
      { status: 400, code: 'validation_failed', field: 'query.limit' },
    );
    await expectRejected(
      'GET',
      '/api/v1/audit?cursor=abc',
      {},
      { status: 400, code: 'validation_failed', field: 'query.cursor' },
    );
    await expectRejected(
      'GET',
      '/api/v1/audit?since=yesterday',
      {},
      { status: 400, code: 'validation_failed', field: 'query.since' },
    );
  });

  it('conflicts are 409 and leave the data as it was', async () => {
    await expectRejected(
      'POST',
      '/api/v1/environments',
      { body: { key: 'production', name: 'Prod 2' } },
      { status: 409, code: 'conflict', field: 'production' },
    );
    await expectRejected(
      'PATCH',
      '/api/v1/environments/development',
      { body: { key: 'production' } },
      { status: 409, code: 'conflict', field: 'production' },
    );
  });
});
