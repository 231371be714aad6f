// SPDX-License-Identifier: Apache-2.0
// Port security and the learned-MAC limit of a port: validation into one
// canonical form (kept in the state, compared for idempotency), and the bytes
// the data plane checks frames against.
import { invalid } from './errors.js';
import { AddrError, macBytes, parsePrefix, prefixString } from './flows/addr.js';
import { normaliseMac } from './mac-pool.js';

export const MAX_ALLOWED_MACS = 8;
export const MAX_ALLOWED_IPS = 8; // per address family
export const DEFAULT_MAX_MACS = 64;

/** Canonical: MACs lower-case (empty: the port's own), addresses without prefix. */
export interface PortSecurity {
  macs: string[];
  ips: string[];
}

export interface PortSecurityInput {
  allowedMacs?: readonly string[] | null;
  allowedIps?: readonly string[] | null;
}

export function normalisePortSecurity(input: PortSecurityInput): PortSecurity {
  const macs = [...new Set((input.allowedMacs ?? []).map((m) => normaliseMac(m)))];
  if (macs.length > MAX_ALLOWED_MACS) throw invalid(`port security: at most ${MAX_ALLOWED_MACS} allowed MACs, got ${macs.length}`);
  const ips = [...new Set((input.allowedIps ?? []).map((a) => {
    try {
      const p = parsePrefix(a.trim());
      if (p.len !== (p.family === 4 ? 32 : 128)) throw new AddrError('an address, not a prefix');
      return prefixString(p);
    } catch (e) {
      throw invalid(`port security: allowed IP ${JSON.stringify(a)}: ${(e as Error).message}`);
    }
  }))];
  for (const family of [4, 6]) {
    const n = ips.filter((a) => a.includes(':') === (family === 6)).length;
    if (n > MAX_ALLOWED_IPS) throw invalid(`port security: at most ${MAX_ALLOWED_IPS} allowed IPv${family} addresses, got ${n}`);
  }
  return { macs, ips };
}

export function sameSecurity(a: PortSecurity | undefined, b: PortSecurity | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** What the data plane compares frames with; no MACs given: the port's own. */
export function securityBytes(s: PortSecurity, ownMac: string): { macs: Uint8Array[]; ip4: Uint8Array[]; ip6: Uint8Array[] } {
  const addrs = s.ips.map((a) => parsePrefix(a));
  return {
    macs: (s.macs.length ? s.macs : [ownMac]).map(macBytes),
    ip4: addrs.filter((p) => p.family === 4).map((p) => p.bytes),
    ip6: addrs.filter((p) => p.family === 6).map((p) => p.bytes),
  };
}
