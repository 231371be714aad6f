// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';

import { MacPool, normaliseMac } from '../../src/core/mac-pool.js';

describe('MAC pool', () => {
  it('hands out the lowest free locally administered address', () => {
    const pool = new MacPool('02:fa:57');
    expect(pool.allocate(new Set())).toBe('02:fa:57:00:00:01');
    expect(pool.allocate(new Set(['02:fa:57:00:00:01']))).toBe('02:fa:57:00:00:02');
    expect(pool.allocate(new Set(['02:fa:57:00:00:02']))).toBe('02:fa:57:00:00:01'); // reuse after delete
  });

  it('starts where the daemon chose (nodes on one overlay), wrapping at the end', () => {
    const a = new MacPool('02:fa:57', 0xffffff, 0x123456);
    expect(a.allocate(new Set())).toBe('02:fa:57:12:34:56');
    expect(a.allocate(new Set(['02:fa:57:12:34:56']))).toBe('02:fa:57:12:34:57');
    const end = new MacPool('02:fa:57', 3, 3);
    expect(end.allocate(new Set(['02:fa:57:00:00:03']))).toBe('02:fa:57:00:00:01');
    expect(() => end.allocate(new Set(['02:fa:57:00:00:01', '02:fa:57:00:00:02', '02:fa:57:00:00:03']))).toThrow(/exhausted/);
    expect(new MacPool('02:fa:57', 3, 99).allocate(new Set())).toBe('02:fa:57:00:00:01'); // out of range: from 1
  });

  it('is exhausted with a clear error', () => {
    const pool = new MacPool('02:fa:57', 1);
    expect(() => pool.allocate(new Set(['02:fa:57:00:00:01']))).toThrow(/exhausted \(1 addresses\)/);
  });

  it('rejects prefixes that are not locally administered unicast', () => {
    expect(() => new MacPool('00:11:22')).toThrow(/locally administered/);
    expect(() => new MacPool('03:00:00')).toThrow(/locally administered/);
  });

  it('normalises and validates user MACs', () => {
    expect(normaliseMac(' 02:AA:00:00:00:0B ')).toBe('02:aa:00:00:00:0b');
    expect(() => normaliseMac('01:00:5e:00:00:01')).toThrow(/multicast/);
    expect(() => normaliseMac('00:00:00:00:00:00')).toThrow(/not a valid/);
    expect(() => normaliseMac('02-00-00-00-00-01')).toThrow(/must look like/);
  });
});
