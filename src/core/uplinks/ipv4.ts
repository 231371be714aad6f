// SPDX-License-Identifier: Apache-2.0
// IPv4 tunnel endpoints (issue 18; the VXLAN underlay is IPv4 only). Strict
// on purpose: these addresses come from configuration and from the
// Kubernetes API, and node:net's isIPv4 is the only other judge in the
// repository; a peer must be one host we can unicast to, never a broadcast
// or multicast address that would copy every tunnelled frame to a segment.

/** Dotted quad, no leading zeros (010.0.0.1 is octal to some resolvers). */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const DOTTED_QUAD_RE = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

export function isDottedQuad(s: unknown): s is string {
  return typeof s === 'string' && DOTTED_QUAD_RE.test(s);
}

export function ipv4ToInt(s: string): number {
  return s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

/**
 * A dotted quad that can be one host's unicast address: not 0.0.0.0/8
 * ("this network"), 127.0.0.0/8 (loopback), 224.0.0.0/4 (multicast) or
 * 240.0.0.0/4 (reserved, and the limited broadcast).
 */
export function isUnicastIPv4(s: unknown): s is string {
  if (!isDottedQuad(s)) return false;
  const first = Number(s.slice(0, s.indexOf('.')));
  return first !== 0 && first !== 127 && first < 224;
}

export interface Ipv4Cidr {
  address: string;
  prefix: number;
}

/** "10.1.0.5/24" as a host's address on a subnet; the reason it is not, else. */
export function parseHostCidr(s: string): Ipv4Cidr | string {
  const [address, len, extra] = s.split('/');
  if (extra !== undefined || len === undefined || !/^\d{1,2}$/.test(len)) return 'want an IPv4 address with a prefix length, like 10.1.0.5/24';
  const prefix = Number(len);
  if (prefix < 1 || prefix > 32) return 'the prefix length must be 1..32';
  if (!isDottedQuad(address)) return 'want an IPv4 address with a prefix length, like 10.1.0.5/24';
  if (!isUnicastIPv4(address)) return `${address} is not a unicast host address`;
  if (prefix <= 30) {
    const host = ipv4ToInt(address) % 2 ** (32 - prefix);
    if (host === 0) return `${address} is the network address of /${prefix}, not a host's`;
    if (host === 2 ** (32 - prefix) - 1) return `${address} is the broadcast address of /${prefix}, not a host's`;
  }
  return { address, prefix };
}

/** Whether a and b are on the same /prefix. */
export function sameSubnet(a: string, b: string, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(ipv4ToInt(a) / size) === Math.floor(ipv4ToInt(b) / size);
}

/**
 * Why `peer` cannot be a tunnel peer of the endpoint self/prefix, or
 * undefined when it can: one unicast host, not ourselves, on our subnet
 * (not its network or broadcast address) or, with a gateway, anywhere.
 */
export function tunnelPeerProblem(peer: string, self: string, prefix: number, hasGateway: boolean): string | undefined {
  if (!isUnicastIPv4(peer)) return `${JSON.stringify(peer)} is not a unicast IPv4 address`;
  if (peer === self) return `${peer} is this node's own endpoint`;
  if (!sameSubnet(peer, self, prefix)) return hasGateway ? undefined : `${peer} is off ${self}/${prefix} and there is no gateway`;
  const host = ipv4ToInt(peer) % 2 ** (32 - prefix);
  if (prefix <= 30 && (host === 0 || host === 2 ** (32 - prefix) - 1)) return `${peer} is the network or broadcast address of ${self}/${prefix}`;
  return undefined;
}
