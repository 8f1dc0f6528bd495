// The address a request came from, for the sign-in limits. Behind a reverse proxy every request
// comes from the proxy, so X-Forwarded-For is read, but only as far as TRUSTED_PROXIES vouch for
// it: walking from the right (the hop nearest to us), each hop added by a trusted proxy is
// believed, and the first untrusted address is the client. Anything left of it was written by the
// client and is ignored, so a client cannot choose its own address.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { BlockList, isIP } from 'node:net';
import { requestHeader } from './node-headers.ts';

/**
 * The proxies whose X-Forwarded-For is believed: addresses or CIDR ranges, IPv4 or IPv6.
 * @example trustedProxies(['10.0.0.0/8', '127.0.0.1'])
 */
export function trustedProxies(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) as `1.2.3.4`; undefined if not an IP. */
function normalize(address: string | undefined): string | undefined {
  const plain = address?.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return plain && isIP(plain) ? plain : undefined;
}

const isTrusted = (trusted: BlockList, address: string) =>
  trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** The client's address from the socket's peer and the X-Forwarded-For header; `unknown` if none. */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trusted: BlockList,
): string {
  let address = normalize(socketAddress);
  if (!address) return 'unknown';
  const hops = forwardedFor ? forwardedFor.split(',') : [];
  while (hops.length > 0 && isTrusted(trusted, address)) {
    const hop = normalize(hops.pop());
    if (!hop) break; // not an address: no proxy of ours wrote it
    address = hop;
  }
  return address;
}

/** The client address of a request on @hono/node-server; `unknown` in-process (tests). */
export function requestClientAddress(c: Context, trusted: BlockList): string {
  let socketAddress: string | undefined;
  try {
    socketAddress = getConnInfo(c).remote.address;
  } catch {
    return 'unknown'; // requests made in-process have no socket
  }
  return clientAddress(socketAddress, requestHeader(c, 'x-forwarded-for'), trusted);
}
