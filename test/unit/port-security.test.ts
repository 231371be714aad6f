// SPDX-License-Identifier: Apache-2.0
// Port security specs: canonical form, limits, the bytes the data plane gets.
import { describe, expect, it } from 'vitest';

import { normalisePortSecurity, securityBytes } from '../../src/core/port-security.js';

describe('port security', () => {
  it('canonicalises MACs and addresses, and drops duplicates', () => {
    expect(normalisePortSecurity({ allowedMacs: ['02:AA:00:00:00:01', '02:aa:00:00:00:01'], allowedIps: ['10.0.0.7', 'fd00:0::7'] }))
      .toEqual({ macs: ['02:aa:00:00:00:01'], ips: ['10.0.0.7', 'fd00::7'] });
    expect(normalisePortSecurity({})).toEqual({ macs: [], ips: [] });
  });

  it('refuses multicast MACs, prefixes, garbage and too many of anything', () => {
    expect(() => normalisePortSecurity({ allowedMacs: ['01:00:5e:00:00:01'] })).toThrow(/multicast/);
    expect(() => normalisePortSecurity({ allowedIps: ['10.0.0.0/24'] })).toThrow(/an address, not a prefix/);
    expect(() => normalisePortSecurity({ allowedIps: ['1::%a:b'] })).toThrow(/allowed IP/);
    const nine = Array.from({ length: 9 }, (_, i) => `02:00:00:00:00:0${i + 1}`);
    expect(() => normalisePortSecurity({ allowedMacs: nine })).toThrow(/at most 8 allowed MACs/);
    const v4 = Array.from({ length: 9 }, (_, i) => `10.0.0.${i + 1}`);
    expect(() => normalisePortSecurity({ allowedIps: v4 })).toThrow(/at most 8 allowed IPv4/);
  });

  it("hands the data plane the port's own MAC when none is listed", () => {
    const b = securityBytes({ macs: [], ips: ['10.0.0.7', 'fd00::7'] }, '02:fa:57:00:00:01');
    expect(b.macs.map((m) => Buffer.from(m).toString('hex'))).toEqual(['02fa57000001']);
    expect(Buffer.from(b.ip4[0]!).toString('hex')).toBe('0a000007');
    expect(Buffer.from(b.ip6[0]!).toString('hex')).toBe('fd000000000000000000000000000007');
  });
});
