// SPDX-License-Identifier: Apache-2.0
// The real fastpathd over its real gRPC socket: networks and ports created
// through the API, two testpmd containers attached with exactly the EAL
// arguments the API returned, traffic, stats, the event stream, health and
// metrics.
import { statSync } from 'node:fs';

import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import type { PortEvent__Output } from '../../src/api/gen/fastpath/v1/PortEvent.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { Daemon } from '../helpers/daemon.js';
import { AUTO_PATH_RE } from '../helpers/exception-path.js';
import { until } from '../helpers/fixture.js';

let d: Daemon;
const events: PortEvent__Output[] = [];
let stream: grpc.ClientReadableStream<unknown> | undefined;
const cnfs: TestpmdContainer[] = [];

async function startCnf(p: Port__Output, forwardMode = 'rxonly'): Promise<TestpmdContainer> {
  const c = await TestpmdContainer.start({
    name: `api-${p.spec!.name}`,
    ports: [{ hostDir: p.attach!.hostDir, mac: p.mac, server: p.spec!.mode === 'PORT_MODE_CLIENT' }],
    attachArgs: p.attach!.ealArgs,
    forwardMode,
  });
  cnfs.push(c);
  return c;
}

describe('fastpathd API end to end', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('api'));
  });

  afterAll(async () => {
    stream?.cancel();
    for (const c of cnfs) await c.kill();
    await d.dispose();
  });

  it('serves grpc.health.v1 as SERVING', async () => {
    const Health = grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health');
    const h = new Health(`unix://${d.paths.grpcSocket}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      check(req: object, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
    };
    const res = await new Promise<{ status: string }>((ok, ko) => h.check({ service: 'fastpath.v1.PortService' }, (e, r) => (e ? ko(e) : ok(r))));
    h.close();
    expect(res.status).toBe('SERVING');
    expect(statSync(d.paths.grpcSocket).mode & 0o777).toBe(0o660);
  });

  it('creates a network and two ports, and containers attached with the returned EAL args exchange traffic', async () => {
    const c = d.client;
    stream = c.ports.WatchPortEvents({});
    stream.on('data', (m: { event: PortEvent__Output }) => events.push(m.event));
    stream.on('error', () => undefined); // cancelled at the end

    const net = await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'web' } });
    expect(net).toMatchObject({ created: true, network: { name: 'web', mtu: 1500, vlan: 0 } });
    const a = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'a', network: 'web', mode: 'PORT_MODE_SERVER' } })).port!;
    const b = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'b', network: 'web', mac: '02:aa:00:00:00:0b', mode: 'PORT_MODE_SERVER' } })).port!;
    expect(a.mac).toMatch(/^02:fa:57:/);
    expect(b.mac).toBe('02:aa:00:00:00:0b');
    expect(a.attach!.ealArgs).toEqual([
      `--vdev=net_virtio_user0,path=/run/fastpath/sock,mac=${a.mac},queues=1`, '--single-file-segments', '--file-prefix=a',
    ]);
    expect(a.attach!.dockerRun).toContain(`-v ${a.attach!.hostDir}:/run/fastpath`);
    expect(statSync(a.attach!.socketPath).isSocket()).toBe(true);

    const ca = await startCnf(a); // rxonly: tx_first sends exactly 4 bursts
    const cb = await startCnf(b);
    await until(() => c.unary(c.ports, c.ports.GetPort, { name: 'b' }), (r) => r.port!.status!.linkUp, 'port b up');
    await cb.cmd('start');
    await ca.cmd(`set eth-peer 0 ${b.mac}`);
    await ca.cmd('start tx_first 4');
    const got = await cb.waitStats((s) => s.rxPackets >= 128);
    expect(got.rxPackets).toBe(128);

    const st = (await c.unary(c.ports, c.ports.GetPortStats, { name: '' })).stats;
    const sa = st.find((s) => s.name === 'a')!;
    const sb = st.find((s) => s.name === 'b')!;
    // 64-bit counters arrive as decimal strings (exact past 2^53).
    expect(sa.rxPackets).toBe('128');
    expect(sb.txPackets).toBe('128');
    expect(sb.drops).toMatchObject({ tx_full: '0', link_down: '0' });

    const up = await until(async () => events.filter((e) => e.type === 'PORT_EVENT_TYPE_CONNECTED').map((e) => e.port).sort(),
      (v) => v.length === 2, 'connected events for a and b');
    expect(up).toEqual(['a', 'b']);
    const conn = events.find((e) => e.port === 'b' && e.type === 'PORT_EVENT_TYPE_CONNECTED')!;
    expect(conn.queuePairs).toBe(1);
    expect(BigInt(conn.features)).toBeGreaterThan(0n);

    await cb.stop();
    await until(async () => events.some((e) => e.port === 'b' && e.type === 'PORT_EVENT_TYPE_DISCONNECTED'), Boolean, 'disconnected event for b');
    expect((await c.unary(c.ports, c.ports.GetPort, { name: 'b' })).port!.status!.linkUp).toBe(false);
  });

  it('reports the system and per-lcore figures', async () => {
    const c = d.client;
    const info = await c.unary(c.system, c.system.GetSystemInfo, {});
    expect(info.dpdkVersion).toMatch(/^DPDK 22\.11/);
    expect(info.workerLcores).toEqual([1]);
    expect(info.exceptionPath).toMatch(AUTO_PATH_RE); // tap on the development VM: no vhost-net
    expect(info.lcores[0]).toMatchObject({ lcore: 1, role: 'worker' });
    expect(Number(info.lcores[0]!.packets)).toBeGreaterThanOrEqual(128);
    expect(info.lcores[0]!.cyclesPerPacket).toBeGreaterThan(0);
  });

  it('exports Prometheus metrics for ports, lcores and gRPC calls', async () => {
    const text = await (await fetch(d.metricsUrl!)).text();
    expect(text).toMatch(/fastpath_port_rx_packets_total\{port="a",network="web"\} 128/);
    expect(text).toMatch(/fastpath_port_link_up\{port="b",network="web"\} 0/);
    expect(text).toMatch(/fastpath_port_drops_total\{port="a",network="web",reason="runt"\} 0/);
    expect(text).toMatch(/fastpath_lcore_cycles_per_packet\{lcore="1"\} \d/);
    expect(text).toMatch(/fastpath_grpc_requests_total\{method="CreatePort",code="0"\} 2/);
    expect(text).toMatch(/fastpath_grpc_request_duration_seconds_bucket\{le="0.005",method="CreatePort"\}/);
  });

  it('deletes ports and networks idempotently', async () => {
    const c = d.client;
    for (const cnf of cnfs) await cnf.kill();
    await c.unary(c.ports, c.ports.DeletePort, { name: 'a' });
    await c.unary(c.ports, c.ports.DeletePort, { name: 'a', allowMissing: true });
    await c.unary(c.ports, c.ports.DeletePort, { name: 'b' });
    await c.unary(c.networks, c.networks.DeleteNetwork, { name: 'web' });
    expect((await c.unary(c.ports, c.ports.ListPorts, {})).ports).toEqual([]);
    // Only the network a first start creates is left.
    expect((await c.unary(c.networks, c.networks.ListNetworks, {})).networks.map((n) => n.name)).toEqual(['default']);
  });
});
