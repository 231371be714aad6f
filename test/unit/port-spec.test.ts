// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';

import { resolvePortSpec, SUN_PATH_MAX } from '../../src/dataplane/port-spec.js';

const root = '/run/fastpath/ports';

describe('port spec validation', () => {
  it('fills defaults: own directory, server mode, 1 queue, trunk, 0750/0660', () => {
    expect(resolvePortSpec({ name: 'web0', network: 'default' }, root)).toMatchObject({
      socketPath: '/run/fastpath/ports/web0/sock', dir: '/run/fastpath/ports/web0', mode: 'server',
      queues: 1, vlan: 0, dirMode: 0o750, socketMode: 0o660,
    });
  });

  it.each([
    ['a/b'], ['a\\b'], ['..'], ['a..b'], [''], ['-x'], ['x'.repeat(64)],
  ])('rejects the name %j', (name) => {
    expect(() => resolvePortSpec({ name, network: 'n' }, root)).toThrow(/port name must be/);
  });

  it('accepts a path of exactly 107 bytes and rejects 108', () => {
    const dir = `${root}/d/`;
    const ok = dir + 's'.repeat(SUN_PATH_MAX - dir.length);
    expect(Buffer.byteLength(ok)).toBe(107);
    expect(resolvePortSpec({ name: 'p', network: 'n', socketPath: ok }, root).socketPath).toBe(ok);
    expect(() => resolvePortSpec({ name: 'p', network: 'n', socketPath: `${ok}x` }, root)).toThrow(/108 bytes/);
  });

  it('keeps sockets in a directory below the root', () => {
    expect(() => resolvePortSpec({ name: 'p', network: 'n', socketPath: `${root}/sock` }, root)).toThrow(/outside the socket root/);
    expect(() => resolvePortSpec({ name: 'p', network: 'n', socketPath: '/etc/sock' }, root)).toThrow(/outside the socket root/);
    expect(() => resolvePortSpec({ name: 'p', network: 'n', socketPath: 'rel/sock' }, root)).toThrow(/absolute/);
    expect(() => resolvePortSpec({ name: 'p', network: 'n', socketPath: `${root}/a/../../x/sock` }, root)).toThrow(/normalised/);
  });

  it('bounds queues, VLAN and modes', () => {
    expect(() => resolvePortSpec({ name: 'p', network: 'n', queues: 0 }, root)).toThrow(/queues/);
    expect(() => resolvePortSpec({ name: 'p', network: 'n', queues: 1.5 }, root)).toThrow(/queues/);
    expect(() => resolvePortSpec({ name: 'p', network: 'n', vlan: -1 }, root)).toThrow(/VLAN id must be an integer in 0..4094/);
    expect(() => resolvePortSpec({ name: 'p', network: 'n', mode: 'bogus' as 'server' }, root)).toThrow(/mode/);
  });
});
