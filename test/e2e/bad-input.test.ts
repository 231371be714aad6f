// SPDX-License-Identifier: Apache-2.0
// Bad input gives a clear, typed error and changes nothing.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DataplaneError, type Dataplane, type PortSpec } from '../../src/dataplane/index.js';
import { startDataplane, teardown, testRoot } from '../helpers/fixture.js';

const TAG = 'bad';
let dp: Dataplane;
const portsDir = join(testRoot(TAG), 'ports');

async function snapshot() {
  const s = await dp.stats();
  return {
    ports: s.ports.map((p) => p.name).sort(),
    dirs: existsSync(portsDir) ? readdirSync(portsDir).sort() : [],
  };
}

async function expectError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DataplaneError);
  expect((err as DataplaneError).code).toBe(code);
  expect((err as DataplaneError).message).toMatch(message);
}

beforeAll(async () => {
  dp = await startDataplane(TAG);
  await dp.createNetwork('net');
  await dp.addPort({ name: 'web0', network: 'net' });
});

afterAll(async () => {
  await teardown(dp, TAG);
});

describe('bad input', () => {
  const cases: Array<[string, () => Promise<unknown>, string, RegExp]> = [
    ['duplicate port name', () => dp.addPort({ name: 'web0', network: 'net' }), 'EEXIST', /port web0 already exists/],
    ['socket path over 107 bytes', () => dp.addPort({
      name: 'long', network: 'net', socketPath: join(portsDir, 'x'.repeat(80), 'sock'),
    }), 'ENAMETOOLONG', /over the 107-byte limit/],
    ['socket path outside the socket root', () => dp.addPort({
      name: 'evil', network: 'net', socketPath: '/tmp/evil/sock',
    }), 'EINVAL', /outside the socket root/],
    ['socket path escaping with ..', () => dp.addPort({
      name: 'evil2', network: 'net', socketPath: `${portsDir}/../../etc/sock`,
    } as PortSpec), 'EINVAL', /normalised|outside/],
    ['name with a slash', () => dp.addPort({ name: 'a/b', network: 'net' }), 'EINVAL', /port name must be/],
    ['name with ..', () => dp.addPort({ name: 'a..b', network: 'net' }), 'EINVAL', /not contain '\.\.'/],
    ['unknown network', () => dp.addPort({ name: 'x', network: 'nope' }), 'ENOENT', /no network named nope/],
    ['too many queues', () => dp.addPort({ name: 'x', network: 'net', queues: 17 }), 'EINVAL', /queues must be an integer in 1\.\.16/],
    ['VLAN out of range', () => dp.addPort({ name: 'x', network: 'net', vlan: 4095 }), 'EINVAL', /VLAN id must be an integer in 0\.\.4094/],
    ['unknown port on remove', () => dp.removePort('ghost'), 'ENOENT', /no port named ghost/],
    ['deleting a network with ports', () => dp.deleteNetwork('net'), 'EBUSY', /still has 1 port/],
    ['duplicate network', () => dp.createNetwork('net'), 'EEXIST', /network net already exists/],
  ];

  it.each(cases)('%s: clear error, nothing changed', async (_what, call, code, message) => {
    const before = await snapshot();
    await expectError(call(), code, message);
    expect(await snapshot()).toEqual(before);
  });

  it('the native layer rejects a duplicate even if TS checks were bypassed', async () => {
    const { loadAddon } = await import('../../src/dataplane/native.js');
    const err = await loadAddon().addPort({
      name: 'web0', network: 'net', path: join(portsDir, 'other', 'sock'), client: false, queues: 1, vlan: 0, macLimit: 0,
    }).then(() => undefined, (e: unknown) => e as { code: string; message: string });
    expect(err?.code).toBe('EEXIST');
    expect(err?.message).toMatch(/port web0 already exists/);
  });
});

describe('port directory and socket permissions', () => {
  it('creates the directory and socket with the mode and owner asked for', async () => {
    const p = await dp.addPort({ name: 'perm', network: 'net', uid: 1234, gid: 5678, dirMode: 0o710, socketMode: 0o600 });
    const d = statSync(p.dir);
    const s = statSync(p.socketPath);
    expect(d.mode & 0o7777).toBe(0o710);
    expect([d.uid, d.gid]).toEqual([1234, 5678]);
    expect(s.isSocket()).toBe(true);
    expect(s.mode & 0o777).toBe(0o600);
    expect([s.uid, s.gid]).toEqual([1234, 5678]);
    await dp.removePort('perm');
    expect(existsSync(p.dir)).toBe(false);
  });
});
