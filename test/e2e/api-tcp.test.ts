// SPDX-License-Identifier: Apache-2.0
// The optional gRPC listener on TCP: loopback only.
import { existsSync } from 'node:fs';

import { afterAll, describe, expect, it } from 'vitest';

import { FastpathClient } from '../../src/api/client.js';
import { Daemon } from '../helpers/daemon.js';

let d: Daemon | undefined;

describe('gRPC over TCP', () => {
  afterAll(async () => {
    await d?.dispose();
  });

  it('serves the same API on a loopback port as on the unix socket', async () => {
    d = await Daemon.start(Daemon.fresh('tcp'), ['--grpc-tcp', '127.0.0.1:0']);
    const m = /"grpc":\["unix:[^"]+","(127\.0\.0\.1:\d+)"\]/.exec(d.logs);
    expect(m, d.logs).not.toBeNull();
    const tcp = new FastpathClient(m![1]!, 10_000);
    try {
      const info = await tcp.unary(tcp.system, tcp.system.GetSystemInfo, {});
      expect(info.dpdkVersion).toMatch(/^DPDK 22\.11/);
      const nets = await tcp.unary(tcp.networks, tcp.networks.ListNetworks, {});
      expect(nets.networks.map((n) => n.name)).toEqual(['default']);
    } finally {
      tcp.close();
    }
  });

  it('refuses to listen on anything but loopback, before starting anything', async () => {
    const p = Daemon.fresh('tcp-bad');
    const r = await Daemon.run(p, ['--grpc-tcp', '0.0.0.0:50051']);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/gRPC TCP listener must be on loopback, got 0\.0\.0\.0:50051/);
    expect(existsSync(`/var/run/dpdk/${p.filePrefix}`)).toBe(false);
  });
});
