// Slows password guessing down without letting anyone lock an account's owner out.
//
// Failed sign-ins are counted three ways, each with an allowance of free failures; past it, each
// further attempt waits 2^k seconds (k = failures beyond the allowance, at most 15 minutes) and is
// answered 429 with Retry-After, without the password being checked:
// - per (account, address), `maxAttempts` free failures: one guesser on one account;
// - per address, 4× as many, across accounts: one guesser trying many accounts;
// - per account, 10× as many, across addresses: many guessers on one account.
// An address that signed in to the account within 30 days is held by the first counter only, so
// neither a guesser at another address, nor one at the same address trying other accounts, keeps
// the owner out. An attempt is counted when it begins, before the slow password check, so parallel
// guesses cannot slip past the limit; a success takes its count back. IPv6 addresses are counted
// by /64 (what one host usually holds). Counters are forgotten an hour after their last failure;
// each map holds at most `maxEntries`, the least recently charged dropped first.
import { isIP } from 'node:net';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';

const maxDelayMs = 15 * 60_000;
const forgetMs = 60 * 60_000;
const knownForMs = 30 * 24 * 3600_000;

interface Counter {
  failures: number;
  /** Earliest time of the next attempt (ms). */
  nextAt: number;
  lastAt: number;
}

class Counters {
  private readonly map = new Map<string, Counter>();

  constructor(
    private readonly free: number,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** Milliseconds before `key` may try again; 0 = now. */
  wait(key: string, now: number): number {
    const counter = this.live(key, now);
    return counter ? Math.max(0, counter.nextAt - now) : 0;
  }

  charge(key: string, now: number): void {
    const counter = this.live(key, now) ?? { failures: 0, nextAt: 0, lastAt: 0 };
    this.map.delete(key); // set again below: the map's order is least recently charged first
    counter.failures++;
    counter.lastAt = now;
    if (counter.failures >= this.free) {
      counter.nextAt = now + Math.min(1000 * 2 ** (counter.failures - this.free), maxDelayMs);
    }
    this.map.set(key, counter);
    for (const oldest of this.map.keys()) {
      if (this.map.size <= this.maxEntries) break;
      this.map.delete(oldest);
    }
  }

  refund(key: string): void {
    const counter = this.map.get(key);
    if (!counter) return;
    counter.failures = Math.max(0, counter.failures - 1);
    if (counter.failures < this.free) counter.nextAt = 0;
  }

  clear(key: string): void {
    this.map.delete(key);
  }

  private live(key: string, now: number): Counter | undefined {
    const counter = this.map.get(key);
    if (counter && now - counter.lastAt > forgetMs && now >= counter.nextAt) {
      this.map.delete(key);
      return undefined;
    }
    return counter;
  }
}

/** A sign-in attempt that was let through; tell it when the password turned out right. */
export interface LoginAttempt {
  succeeded(): void;
}

export class LoginRateLimiter {
  private readonly pairs: Counters;
  private readonly addresses: Counters;
  private readonly accounts: Counters;
  /** (account, address) pairs that signed in recently → until when they are known. */
  private readonly known = new Map<string, number>();
  private readonly maxEntries: number;

  constructor(
    maxAttempts: number,
    private readonly clock: Clock,
    options: { maxEntries?: number } = {},
  ) {
    this.maxEntries = options.maxEntries ?? 50_000;
    this.pairs = new Counters(maxAttempts, this.maxEntries);
    this.addresses = new Counters(4 * maxAttempts, this.maxEntries);
    this.accounts = new Counters(10 * maxAttempts, this.maxEntries);
  }

  /** Entries held, all maps together (bounded by 4 × maxEntries). */
  get size(): number {
    return this.pairs.size + this.addresses.size + this.accounts.size + this.known.size;
  }

  /**
   * Counts an attempt by `account` from `address` as a failure until it succeeds, or throws 429
   * (with Retry-After) when it must wait. Synchronous, so parallel attempts see each other.
   */
  begin(account: string, address: string): LoginAttempt {
    const now = this.clock.now().getTime();
    const net = addressKey(address);
    const pair = `${account}\n${net}`;
    const knownUntil = this.known.get(pair);
    const known = knownUntil !== undefined && knownUntil > now;
    const wait = Math.max(
      this.pairs.wait(pair, now),
      known ? 0 : this.addresses.wait(net, now),
      known ? 0 : this.accounts.wait(account, now),
    );
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new AppError('rate_limited', `Too many failed sign-ins: try again in ${seconds} s`, undefined, {
        'Retry-After': String(seconds),
      });
    }
    this.pairs.charge(pair, now);
    this.addresses.charge(net, now);
    this.accounts.charge(account, now);
    return {
      succeeded: () => {
        this.pairs.clear(pair);
        this.addresses.refund(net);
        this.accounts.refund(account);
        this.known.delete(pair);
        this.known.set(pair, now + knownForMs);
        for (const [oldest, until] of this.known) {
          if (this.known.size <= this.maxEntries && until > now) break;
          this.known.delete(oldest);
        }
      },
    };
  }
}

/**
 * The unit an address is counted by: IPv4 as it is, IPv6 by its /64 (a host usually holds a whole
 * /64, so counting single addresses would give it 2^64 allowances).
 * @example addressKey('2001:db8:0:1::7') // '2001:db8:0:1::/64'
 */
export function addressKey(address: string): string {
  const ip = address.replace(/%.*$/, '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail] = ip.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const width = (parts: string[]) => parts.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const h = groups(head);
  const t = groups(tail ?? '');
  const full = tail === undefined ? h : [...h, ...Array<string>(8 - width(h) - width(t)).fill('0'), ...t];
  return `${full
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
