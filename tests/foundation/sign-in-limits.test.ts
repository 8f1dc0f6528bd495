// Issue 13.4: sign-in limits that cannot be raced, that slow a guesser down rather than lock the
// account's owner out, and that see the client's own address behind a trusted proxy.
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.ts';
import { addressKey, LoginRateLimiter } from '../../src/auth/login-rate-limiter.ts';
import type { Clock } from '../../src/clock.ts';
import { openDb } from '../../src/db/open-db.ts';
import { parseEnv, type Env } from '../../src/env.ts';
import type { AppError } from '../../src/errors.ts';
import { clientAddress, trustedProxies } from '../../src/http/client-address.ts';
import { seedFirstStart } from '../../src/seed.ts';
import { createServices } from '../../src/services.ts';
import { PASSWORD } from '../helpers/test-app.ts';

// Every password check is counted: the point of the limits is how many a guesser gets.
const checks = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/auth/secrets.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/auth/secrets.ts')>();
  return {
    ...actual,
    verifyPassword: (password: string, stored: string) => {
      checks.count++;
      return actual.verifyPassword(password, stored);
    },
  };
});

const ADMIN = 'admin@flagstaff.local';

class TestClock implements Clock {
  at = Date.parse('2025-03-01T09:00:00Z');
  now = () => new Date(this.at);
  advance = (seconds: number) => (this.at += seconds * 1000);
}

async function setup(config: Partial<Env> = {}, clock?: Clock) {
  const db = openDb(':memory:');
  const services = createServices({
    db,
    ...(clock ? { clock } : {}),
    config: { FLAGSTAFF_ADMIN_PASSWORD: PASSWORD, ...config },
  });
  await seedFirstStart(services);
  const app = createApp({ db, services });
  /** Signs in through the service with a client address: 200, or the error's status and Retry-After. */
  const login = (password: string, address: string, email = ADMIN) =>
    services.sessions.login(email, password, address).then(
      () => ({ status: 200, retryAfter: undefined }),
      (error: AppError) => ({ status: error.status as number, retryAfter: error.headers?.['Retry-After'] }),
    );
  return { db, services, app, login };
}

beforeEach(() => {
  checks.count = 0;
});

describe('the attempt is counted before the password check', () => {
  it('200 parallel wrong guesses get no more password checks than the limit', async () => {
    const { app } = await setup({ LOGIN_MAX_ATTEMPTS: 10 });
    const guess = (i: number) =>
      app.request('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: ADMIN, password: `wrong guess number ${i}` }),
      });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => guess(i)));
    const statuses = answers.map((a) => a.status);
    expect(checks.count).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 401).length).toBe(checks.count);
    expect(statuses.filter((s) => s === 429).length).toBe(200 - checks.count);
    const refused = answers.find((a) => a.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('growing delays per (account, address), not a lockout', () => {
  it('after LOGIN_MAX_ATTEMPTS failures each further attempt waits 1, 2, 4… seconds, unchecked', async () => {
    const clock = new TestClock();
    const { login } = await setup({ LOGIN_MAX_ATTEMPTS: 3 }, clock);
    for (let i = 0; i < 3; i++) expect((await login('wrong password!', '198.51.100.7')).status).toBe(401);
    expect(checks.count).toBe(3);
    for (const wait of [1, 2, 4, 8]) {
      const refused = await login(PASSWORD, '198.51.100.7'); // even the right password waits
      expect(refused).toEqual({ status: 429, retryAfter: String(wait) });
      clock.advance(wait - 0.5);
      expect((await login('wrong password!', '198.51.100.7')).status).toBe(429);
      clock.advance(0.5);
      expect((await login('wrong password!', '198.51.100.7')).status).toBe(401);
    }
    expect(checks.count).toBe(7); // refused attempts never reach the password check
    clock.advance(16);
    expect((await login(PASSWORD, '198.51.100.7')).status).toBe(200);
    // A success clears the pair's count: the next typo is not delayed.
    expect((await login('wrong password!', '198.51.100.7')).status).toBe(401);
    expect((await login('wrong password!', '198.51.100.7')).status).toBe(401);
  });

  it('a guesser at one address does not keep the right password out at another', async () => {
    const { login } = await setup({}, new TestClock());
    const guesses = await Promise.all(
      Array.from({ length: 15 }, () => login('wrong password!', '198.51.100.7')),
    );
    expect(guesses.filter((g) => g.status === 429).length).toBeGreaterThan(0);
    expect((await login(PASSWORD, '203.0.113.20')).status).toBe(200);
  });

  it('one address spraying many accounts is slowed, but an account that signed in there before is not', async () => {
    const { login } = await setup({ LOGIN_MAX_ATTEMPTS: 1 }, new TestClock()); // 4 failures per address
    expect((await login(PASSWORD, '198.51.100.7')).status).toBe(200);
    const sprayed = await Promise.all(
      Array.from({ length: 6 }, (_, i) => login('wrong password!', '198.51.100.7', `user${i}@example.com`)),
    );
    expect(sprayed.filter((s) => s.status === 401).length).toBe(4);
    expect(sprayed.filter((s) => s.status === 429).length).toBe(2);
    expect((await login('wrong password!', '198.51.100.7', 'fresh@example.com')).status).toBe(429);
    expect((await login(PASSWORD, '198.51.100.7')).status).toBe(200); // its owner signed in here before
    expect((await login('wrong password!', '203.0.113.20', 'fresh@example.com')).status).toBe(401);
  });

  it('many addresses guessing one account are slowed, but not its owner at a known address', async () => {
    const { login } = await setup({ LOGIN_MAX_ATTEMPTS: 1 }, new TestClock()); // 10 failures per account
    expect((await login(PASSWORD, '198.51.100.7')).status).toBe(200);
    const botnet = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login('wrong password!', `203.0.113.${i + 1}`)),
    );
    expect(botnet.filter((s) => s.status === 401).length).toBe(10);
    expect(botnet.filter((s) => s.status === 429).length).toBe(2);
    expect((await login(PASSWORD, '192.0.2.99')).status).toBe(429); // a new address waits its turn
    expect((await login(PASSWORD, '198.51.100.7')).status).toBe(200); // the owner's known address does not
  });

  it('counts IPv6 addresses by /64, and keeps its memory bounded', async () => {
    expect(addressKey('2001:db8:0:1::1')).toBe(addressKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff'));
    expect(addressKey('2001:db8:0:1::1')).not.toBe(addressKey('2001:db8:0:2::1'));
    expect(addressKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(addressKey('fe80::1%eth0')).toBe(addressKey('fe80::2'));
    const clock = new TestClock();
    const limiter = new LoginRateLimiter(5, clock, { maxEntries: 100 });
    for (let i = 0; i < 1000; i++) limiter.begin(`user${i}@example.com`, `10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBeLessThanOrEqual(3 * 100);
  });
});

describe('the client address behind a proxy', () => {
  it('is the nearest untrusted hop of X-Forwarded-For, and the socket when the peer is not trusted', () => {
    const trusted = trustedProxies(['10.0.0.0/8', '127.0.0.1', '::1']);
    expect(clientAddress('127.0.0.1', '203.0.113.5', trusted)).toBe('203.0.113.5');
    expect(clientAddress('::ffff:127.0.0.1', '203.0.113.5', trusted)).toBe('203.0.113.5');
    expect(clientAddress('127.0.0.1', 'spoofed, 203.0.113.5, 10.1.2.3', trusted)).toBe('203.0.113.5');
    expect(clientAddress('127.0.0.1', '1.2.3.4, 203.0.113.5', trusted)).toBe('203.0.113.5');
    expect(clientAddress('198.51.100.7', '203.0.113.5', trusted)).toBe('198.51.100.7');
    expect(clientAddress('127.0.0.1', '10.0.0.2, 10.0.0.1', trusted)).toBe('10.0.0.2');
    expect(clientAddress('127.0.0.1', undefined, trusted)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', 'not an address', trusted)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '203.0.113.5', trustedProxies([]))).toBe('127.0.0.1');
    expect(clientAddress(undefined, '203.0.113.5', trusted)).toBe('unknown');
  });

  it('TRUSTED_PROXIES takes addresses and CIDR ranges, and names itself when wrong', () => {
    expect(parseEnv({ TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1,::1, fd00::/8' }).TRUSTED_PROXIES).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
    ]);
    expect(parseEnv({}).TRUSTED_PROXIES).toEqual([]);
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/2'])
      expect(() => parseEnv({ TRUSTED_PROXIES: bad })).toThrow(/TRUSTED_PROXIES: must be IP addresses/);
  });

  describe('on a real server', () => {
    let server: ServerType | undefined;
    afterEach(async () => {
      await new Promise((resolve) => server?.close(resolve));
      server = undefined;
    });
    async function listen(config: Partial<Env>) {
      const { app } = await setup(config);
      await new Promise<void>((resolve) => {
        server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
      });
      const base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
      return (password: string, forwardedFor: string) =>
        fetch(`${base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
          body: JSON.stringify({ email: ADMIN, password }),
        }).then((r) => r.status);
    }

    it('with TRUSTED_PROXIES, users behind the proxy do not share one address', async () => {
      const login = await listen({ TRUSTED_PROXIES: ['127.0.0.1'] });
      const guesses = await Promise.all(
        Array.from({ length: 12 }, () => login('wrong password!', '203.0.113.5')),
      );
      expect(guesses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(await login(PASSWORD, '203.0.113.9')).toBe(200);
    });

    it('without it, X-Forwarded-For is ignored: rotating it does not escape the limit', async () => {
      const login = await listen({ LOGIN_MAX_ATTEMPTS: 3 });
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push(await login('wrong password!', `203.0.113.${i}`));
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    });
  });
});
