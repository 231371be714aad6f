// SPDX-License-Identifier: Apache-2.0
// Choosing the kernel exception path: vhost.ko when /dev/vhost-net works
// (the branch this machine cannot reach for real), net_tap otherwise, and
// a clear FAILED_PRECONDITION when vhost-net is forced without it. Plus
// the kernel interface spec checks that need no kernel.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ApiError } from '../../src/core/errors.js';
import { chooseExceptionPath, probeVhostNet } from '../../src/core/kernel/exception-path.js';
import { validateAddress, validateIfaceName } from '../../src/core/kernel/kernel-iface.js';

const works = () => undefined;
const missing = () => '/dev/vhost-net does not exist (no vhost_net module, or CONFIG_VHOST_NET off)';

function kindOf(f: () => unknown): string {
  try {
    f();
    return 'OK';
  } catch (e) {
    return e instanceof ApiError ? e.kind : String(e);
  }
}

describe('exception path selection', () => {
  it('auto takes vhost-net when the device works, tap otherwise, and says why', () => {
    expect(chooseExceptionPath('auto', works)).toEqual({ kind: 'vhost-net', reason: 'auto: /dev/vhost-net works, so virtio_user on vhost.ko' });
    expect(chooseExceptionPath('auto', missing)).toEqual({ kind: 'tap', reason: expect.stringMatching(/^auto: \/dev\/vhost-net does not exist.*so net_tap$/) });
  });

  it('forced vhost-net works with the device and fails clearly without it; forced tap is tap', () => {
    expect(chooseExceptionPath('vhost-net', works).kind).toBe('vhost-net');
    expect(kindOf(() => chooseExceptionPath('vhost-net', missing))).toBe('FAILED_PRECONDITION');
    expect(() => chooseExceptionPath('vhost-net', missing)).toThrow(/vhost-net was asked for, but \/dev\/vhost-net does not exist/);
    expect(chooseExceptionPath('tap', works)).toEqual({ kind: 'tap', reason: 'configured: tap' });
    expect(kindOf(() => chooseExceptionPath('dpdk-magic', works))).toBe('INVALID_ARGUMENT');
  });

  it('probes the device by opening it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-vhost-'));
    try {
      expect(probeVhostNet(join(dir, 'vhost-net'))).toMatch(/does not exist/);
      writeFileSync(join(dir, 'vhost-net'), '');
      expect(probeVhostNet(join(dir, 'vhost-net'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks interface names and gateway addresses', () => {
    expect(validateIfaceName('fp-web')).toBe('fp-web');
    expect(kindOf(() => validateIfaceName('fp-0123456789abc'))).toBe('INVALID_ARGUMENT'); // 16 chars
    expect(kindOf(() => validateIfaceName('fp/web'))).toBe('INVALID_ARGUMENT');
    expect(validateAddress('10.77.0.1/24')).toBe('10.77.0.1/24');
    expect(validateAddress('FD00:77::1/64')).toBe('fd00:77::1/64');
    for (const bad of ['10.77.0.1', '10.77.0.256/24', '10.77.0.1/33', 'fd00::1/129', '10.77.0.1/0', 'gateway']) {
      expect({ bad, kind: kindOf(() => validateAddress(bad)) }).toEqual({ bad, kind: 'INVALID_ARGUMENT' });
    }
  });
});
