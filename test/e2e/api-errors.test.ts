// SPDX-License-Identifier: Apache-2.0
// Every error the API promises, over the real socket: the status code, a
// message that says what is wrong, and no change to the state.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { reasonOf } from '../../src/api/error-info.js';
import { toProtoSpec } from '../../src/api/flow-convert.js';
import { parseFlow } from '../../src/core/flows/flow-text.js';

import { Daemon, type DaemonPaths } from '../helpers/daemon.js';

let d: Daemon;
let paths: DaemonPaths;
const S = grpc.status;

async function snapshot() {
  const c = d.client;
  const file = join(paths.stateDir, 'state.json');
  return {
    networks: (await c.unary(c.networks, c.networks.ListNetworks, {})).networks,
    ports: (await c.unary(c.ports, c.ports.ListPorts, {})).ports.map((p) => [p.spec!.name, p.mac]),
    state: createHash('sha256').update(readFileSync(file)).digest('hex'),
    dirs: readdirSync(paths.socketRoot).sort(),
  };
}

type Case = [string, () => Promise<unknown>, grpc.status, RegExp];

describe('API errors', () => {
  beforeAll(async () => {
    paths = Daemon.fresh('errors');
    // A long socket root, so that a legal port name can still overflow sun_path.
    paths.socketRoot = join(paths.base, 'x'.repeat(40), 'ports');
    d = await Daemon.start(paths, ['--max-ports', '3', '--mac-pool-size', '2', '--max-flows', '3', '--max-flows-total', '4']);
    const c = d.client;
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'net', vlan: 0 } });
    await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'p1', network: 'net' } });
    await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'p2', network: 'net' } }); // MAC pool now empty
  });

  afterAll(async () => {
    await d.dispose();
  });

  const c = () => d.client;
  const port = (spec: object) => c().unary(c().ports, c().ports.CreatePort, { port: { network: 'net', ...spec } });
  const cases: Case[] = [
    ['network name with a slash', () => c().unary(c().networks, c().networks.CreateNetwork, { network: { name: 'a/b' } }), S.INVALID_ARGUMENT, /network name must be/],
    ['network VLAN 5000', () => c().unary(c().networks, c().networks.CreateNetwork, { network: { name: 'n2', vlan: 5000 } }), S.INVALID_ARGUMENT, /VLAN id must be an integer in 0\.\.4094/],
    ['network MTU 20', () => c().unary(c().networks, c().networks.CreateNetwork, { network: { name: 'n2', mtu: 20 } }), S.INVALID_ARGUMENT, /MTU must be an integer in 68\.\.9000/],
    ['network without a body', () => c().unary(c().networks, c().networks.CreateNetwork, {}), S.INVALID_ARGUMENT, /network is required/],
    ['port name with ..', () => port({ name: 'a..b' }), S.INVALID_ARGUMENT, /not contain '\.\.'/],
    ['port name with a backslash', () => port({ name: 'a\\b' }), S.INVALID_ARGUMENT, /port name must be/],
    ['port name of 64 characters', () => port({ name: 'x'.repeat(64) }), S.INVALID_ARGUMENT, /1-63 characters/],
    ['socket path over 107 bytes', () => port({ name: 'y'.repeat(40), mac: '02:00:00:00:01:01' }), S.INVALID_ARGUMENT, /over the 107-byte limit/],
    ['queues over the limit', () => port({ name: 'q', queues: 9, mac: '02:00:00:00:01:02' }), S.INVALID_ARGUMENT, /queues must be an integer in 1\.\.8/],
    ['malformed MAC', () => port({ name: 'm', mac: 'zz:00' }), S.INVALID_ARGUMENT, /MAC must look like/],
    ['multicast MAC', () => port({ name: 'm', mac: '01:00:5e:00:00:01' }), S.INVALID_ARGUMENT, /multicast/],
    ['VLAN 4095', () => port({ name: 'v', vlan: 4095, mac: '02:00:00:00:01:03' }), S.INVALID_ARGUMENT, /VLAN id must be an integer in 0\.\.4094/],
    ['unknown port mode', () => port({ name: 'u', mode: 7, mac: '02:00:00:00:01:04' }), S.INVALID_ARGUMENT, /unknown port mode/],
    ['port in an unknown network', () => port({ name: 'x', network: 'nope', mac: '02:00:00:00:01:05' }), S.NOT_FOUND, /no network named nope/],
    ['get unknown port', () => c().unary(c().ports, c().ports.GetPort, { name: 'ghost' }), S.NOT_FOUND, /no port named ghost/],
    ['delete unknown port', () => c().unary(c().ports, c().ports.DeletePort, { name: 'ghost' }), S.NOT_FOUND, /no port named ghost/],
    ['stats of unknown port', () => c().unary(c().ports, c().ports.GetPortStats, { name: 'ghost' }), S.NOT_FOUND, /no port named ghost/],
    ['get unknown network', () => c().unary(c().networks, c().networks.GetNetwork, { name: 'ghost' }), S.NOT_FOUND, /no network named ghost/],
    ['delete unknown network', () => c().unary(c().networks, c().networks.DeleteNetwork, { name: 'ghost' }), S.NOT_FOUND, /no network named ghost/],
    ['same network name, other spec', () => c().unary(c().networks, c().networks.CreateNetwork, { network: { name: 'net', vlan: 7 } }), S.ALREADY_EXISTS, /network net already exists with a different spec/],
    ['same port name, other spec', () => port({ name: 'p1', queues: 2 }), S.ALREADY_EXISTS, /port p1 already exists with a different spec/],
    ['MAC already in use', async () => {
      const p1 = (await c().unary(c().ports, c().ports.GetPort, { name: 'p1' })).port!;
      return port({ name: 'dup', mac: p1.mac });
    }, S.ALREADY_EXISTS, /MAC 02:fa:57:00:00:0[12] is already used by port p1/],
    ['delete a network that has ports', () => c().unary(c().networks, c().networks.DeleteNetwork, { name: 'net' }), S.FAILED_PRECONDITION, /network net still has 2 port\(s\): p1, p2; delete them first/],
    ['MAC pool exhausted', () => port({ name: 'p3' }), S.RESOURCE_EXHAUSTED, /MAC pool 02:fa:57:xx:xx:xx is exhausted \(2 addresses\)/],
  ];

  it.each(cases)('%s', async (_what, call, code, message) => {
    const before = await snapshot();
    const err = await call().then(() => undefined, (e: unknown) => e as grpc.ServiceError);
    expect(err, 'the call should have failed').toBeDefined();
    expect(err!.code).toBe(code);
    expect(err!.details).toMatch(message);
    expect(await snapshot()).toEqual(before);
  });

  it('is idempotent where it promises to be', async () => {
    const again = await port({ name: 'p1' });
    expect(again.created).toBe(false);
    const net = await c().unary(c().networks, c().networks.CreateNetwork, { network: { name: 'net' } });
    expect(net.created).toBe(false);
    await c().unary(c().ports, c().ports.DeletePort, { name: 'ghost', allowMissing: true });
    await c().unary(c().networks, c().networks.DeleteNetwork, { name: 'ghost', allowMissing: true });
  });

  it('says why in a machine-readable reason (google.rpc.ErrorInfo in the status details)', async () => {
    const why = async (p: Promise<unknown>): Promise<[number | undefined, string | undefined]> => {
      const e = await p.then(() => undefined, (x: unknown) => x as grpc.ServiceError);
      return [e?.code, reasonOf(e)];
    };
    expect(await why(port({ name: 'rz', network: 'nosuch' }))).toEqual([S.NOT_FOUND, 'NETWORK_NOT_FOUND']);
    expect(await why(c().unary(c().ports, c().ports.GetPort, { name: 'nosuch' }))).toEqual([S.NOT_FOUND, 'PORT_NOT_FOUND']);
    expect(await why(c().unary(c().networks, c().networks.DeleteNetwork, { name: 'net' }))).toEqual([S.FAILED_PRECONDITION, 'NETWORK_IN_USE']);
    expect(await why(port({ name: 'bad/name' }))).toEqual([S.INVALID_ARGUMENT, 'INVALID_ARGUMENT']);
  });

  it('refuses ports past the configured limit with RESOURCE_EXHAUSTED', async () => {
    await port({ name: 'p3', mac: '02:00:00:00:02:03' });
    const before = await snapshot();
    const err = await port({ name: 'p4', mac: '02:00:00:00:02:04' }).then(() => undefined, (e: unknown) => e as grpc.ServiceError);
    expect(err?.code).toBe(S.RESOURCE_EXHAUSTED);
    expect(err?.details).toMatch(/port limit reached \(3\)/);
    expect(await snapshot()).toEqual(before);
  });

  it('a main CPU this machine does not have: exit 2 before EAL, naming it', async () => {
    const p = Daemon.fresh('errors-cpu');
    const r = await Daemon.run(p, ['--main-cpu', '999']);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/--main-cpu 999: CPU 999 is not available to this process/);
    expect(existsSync(`/var/run/dpdk/${p.filePrefix}`)).toBe(false);
    rmSync(p.base, { recursive: true, force: true });
    rmSync(p.stateDir, { recursive: true, force: true });
  });

  it('caps flow rules per network and across networks (RESOURCE_EXHAUSTED), whatever the order', async () => {
    const fl = c().flows;
    const rule = (p: number) => toProtoSpec(parseFlow(`priority=${p},ip,actions=drop`));
    await c().unary(c().networks, c().networks.CreateNetwork, { network: { name: 'f2' } });
    await c().unary(fl, fl.ReplaceFlows, { network: 'net', specs: [rule(1), rule(2), rule(3)] });
    await c().unary(fl, fl.AddFlow, { network: 'f2', spec: rule(1) });
    const over = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as grpc.ServiceError);
    const add = await over(c().unary(fl, fl.AddFlow, { network: 'f2', spec: rule(2) }));
    expect([add?.code, add?.details]).toEqual([S.RESOURCE_EXHAUSTED, '5 flows across all networks would exceed the limit (--max-flows-total 4)']);
    const rep = await over(c().unary(fl, fl.ReplaceFlows, { network: 'f2', specs: [rule(1), rule(2)] }));
    expect(rep?.code).toBe(S.RESOURCE_EXHAUSTED);
    const perNet = await over(c().unary(fl, fl.AddFlow, { network: 'net', spec: rule(4) }));
    expect(perNet?.details).toMatch(/network net has 3 flows, its limit \(--max-flows 3\)/);
    // Replacing a network's rules by as many is within the cap.
    await c().unary(fl, fl.ReplaceFlows, { network: 'net', specs: [rule(5), rule(6), rule(7)] });
    expect((await c().unary(fl, fl.ListFlows, { network: 'f2' })).flows).toHaveLength(1);
    await c().unary(fl, fl.ReplaceFlows, { network: 'net', specs: [] });
    await c().unary(fl, fl.ReplaceFlows, { network: 'f2', specs: [] });
    await c().unary(c().networks, c().networks.DeleteNetwork, { name: 'f2' });
  });
});

describe('a corrupt or truncated state file', () => {
  const p = Daemon.fresh('corrupt');
  const file = join(p.stateDir, 'state.json');

  it.each([
    ['truncated', (good: string) => good.slice(0, good.length / 2), /not valid JSON/],
    ['edited behind our back', (good: string) => good.replace('"mtu":1500', '"mtu":1400'), /checksum mismatch/],
    ['not ours', () => '{"hello": "world"}', /not a fastpath state file/],
  ])('%s: refuses to start, says why, keeps the file aside', async (_what, damage, reason) => {
    const d0 = await Daemon.start(p);
    await d0.client.unary(d0.client.networks, d0.client.networks.CreateNetwork, { network: { name: 'keep' } });
    await d0.stop();
    d0.client.close();
    const good = readFileSync(file, 'utf8');
    expect(damage(good)).not.toBe(good); // the damage really happened
    writeFileSync(file, damage(good));

    const r = await Daemon.run(p);
    expect(r.code).toBe(3);
    expect(r.output).toMatch(reason);
    expect(r.output).toMatch(/Refusing to start with an empty state/);
    expect(existsSync(file)).toBe(false);
    const aside = readdirSync(p.stateDir).filter((f) => f.startsWith('state.json.corrupt-'));
    expect(aside.length).toBeGreaterThan(0);
    expect(readFileSync(join(p.stateDir, aside[aside.length - 1]!), 'utf8')).toBe(damage(good));

    // Told to, it starts afresh: like a first start, with only the default network.
    const d1 = await Daemon.start(p, ['--reset-state']);
    expect((await d1.client.unary(d1.client.networks, d1.client.networks.ListNetworks, {})).networks.map((n) => n.name)).toEqual(['default']);
    await d1.stop();
    d1.client.close();
  });

  afterAll(async () => {
    const last = await Daemon.start(p);
    await last.dispose();
  });
});
