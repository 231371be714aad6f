// SPDX-License-Identifier: Apache-2.0
// Addresses in flow matches: MACs with masks and IPv4/IPv6 prefixes, parsed
// into bytes and printed back in one canonical form (so that the same rule
// written two ways is the same rule). Errors are plain strings: the caller
// knows which field, or which token, they belong to.
import { isIPv4, isIPv6 } from 'node:net';

export const EXACT_MAC_MASK = 'ff:ff:ff:ff:ff:ff';
const MAC_RE = /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/;

export class AddrError extends Error {}

export function macBytes(s: string): Uint8Array {
  if (!MAC_RE.test(s)) throw new AddrError(`not a MAC address: ${JSON.stringify(s)} (want 02:fa:57:00:00:01)`);
  return Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
}

export function macString(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** "mac" or "mac/mask" -> canonical "mac" (exact) or "mac/mask", host bits cleared. */
export function canonicalMacMatch(s: string): string {
  const [m, mask, extra] = s.split('/');
  if (extra !== undefined) throw new AddrError(`not a MAC or MAC/mask: ${JSON.stringify(s)}`);
  const mb = macBytes(m!);
  const kb = mask === undefined ? macBytes(EXACT_MAC_MASK) : macBytes(mask);
  const v = mb.map((x, i) => x & kb[i]!);
  const ks = macString(kb);
  if (ks === '00:00:00:00:00:00') throw new AddrError(`MAC mask ${ks} matches everything: leave the field out instead`);
  return ks === EXACT_MAC_MASK ? macString(v) : `${macString(v)}/${ks}`;
}

export function macMatchBytes(canonical: string): { mac: Uint8Array; mask: Uint8Array } {
  const [m, k] = canonical.split('/');
  return { mac: macBytes(m!), mask: macBytes(k ?? EXACT_MAC_MASK) };
}

function ipv6Bytes(s: string): Uint8Array {
  const out = new Uint8Array(16);
  let text = s;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) { // ::ffff:10.0.0.1 and friends
    tail.push(...v4[1]!.split('.').map(Number));
    text = text.slice(0, -v4[1]!.length) + '0:0';
  }
  const [head, rest] = text.split('::');
  const hs = head ? head.split(':') : [];
  const rs = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = [...hs, ...Array(8 - hs.length - rs.length).fill('0'), ...rs];
  groups.forEach((g, i) => { const v = parseInt(g, 16); out[2 * i] = v >> 8; out[2 * i + 1] = v & 0xff; });
  if (tail.length) out.set(tail, 12);
  return out;
}

function ipv6String(b: Uint8Array): string {
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  // Longest run of zero groups (>= 2) becomes "::", as RFC 5952 says.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export interface Prefix {
  family: 4 | 6;
  /** 4 or 16 bytes, host bits cleared. */
  bytes: Uint8Array;
  len: number;
}

/** "10.0.0.0/24", "10.0.0.1" (a /32), "fd00::/64" -> a prefix with host bits cleared. */
export function parsePrefix(s: string): Prefix {
  const [a, l, extra] = s.split('/');
  if (extra !== undefined || !a) throw new AddrError(`not an address or prefix: ${JSON.stringify(s)}`);
  // Node's isIPv6 takes a zone id ("fe80::1%eth0"); a zone means nothing to a switch.
  if (a.includes('%')) throw new AddrError(`an address with a zone id (%…) is not allowed: ${JSON.stringify(a)}`);
  const family = isIPv4(a) ? 4 : isIPv6(a) ? 6 : 0;
  if (family === 0) throw new AddrError(`not an IPv4 or IPv6 address: ${JSON.stringify(a)}`);
  const max = family === 4 ? 32 : 128;
  const len = l === undefined ? max : /^\d{1,3}$/.test(l) ? Number(l) : NaN;
  if (!Number.isInteger(len) || len < 0 || len > max) {
    throw new AddrError(`prefix length must be 0..${max}, got ${JSON.stringify(l)}`);
  }
  const bytes = family === 4 ? Uint8Array.from(a.split('.').map(Number)) : ipv6Bytes(a);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, len - 8 * i));
    bytes[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  return { family, bytes, len };
}

export function prefixString(p: Prefix): string {
  const a = p.family === 4 ? [...p.bytes].join('.') : ipv6String(p.bytes);
  return p.len === (p.family === 4 ? 32 : 128) ? a : `${a}/${p.len}`;
}

/** A unicast or multicast MAC in canonical form (rewrites may target any). */
export function normaliseMacOrThrow(s: string): string {
  return macString(macBytes(s.trim()));
}
