// SPDX-License-Identifier: Apache-2.0
// memif ports through the API and fpctl: a memif container and a virtio_user
// container, both attached with exactly the EAL arguments fastpathd
// returned, exchange packets both ways.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { Daemon } from '../helpers/daemon.js';
import { until } from '../helpers/fixture.js';

const FPCTL = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/fpctl.mjs');
let d: Daemon;
const cnfs: TestpmdContainer[] = [];

async function start(p: Port__Output): Promise<TestpmdContainer> {
  const t = await TestpmdContainer.start({
    name: `apim-${p.spec!.name}`, attachArgs: p.attach!.ealArgs,
    ports: [{ hostDir: p.attach!.hostDir, mac: p.mac }],
  });
  cnfs.push(t);
  return t;
}

describe('memif ports through the API', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('memif'));
  });

  afterAll(async () => {
    for (const t of cnfs) await t.kill();
    await d.dispose();
  });

  it('creates a memif port with fpctl, and its container talks to a virtio_user one', async () => {
    const out = await promisify(execFile)(process.execPath, [FPCTL, '--endpoint', `unix://${d.paths.grpcSocket}`,
      'port', 'add', 'm', '--type', 'memif', '--memif-ring-log2', '11', '--json']);
    const m = (JSON.parse(out.stdout) as { port: Port__Output }).port;
    expect(m.spec).toMatchObject({ type: 'PORT_TYPE_MEMIF', memifRingLog2: 11, memifBufferSize: 2048 });
    expect(m.attach!.ealArgs).toEqual([
      `--vdev=net_memif0,role=client,socket=/run/fastpath/sock,socket-abstract=no,id=0,mac=${m.mac},rsize=11,bsize=2048`, '--file-prefix=m',
    ]);
    const c = d.client;
    const v = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'v', network: 'default' } })).port!;
    const cm = await start(m);
    const cv = await start(v);
    await until(() => c.unary(c.ports, c.ports.ListPorts, {}), (r) => r.ports.every((p) => p.status!.linkUp), 'both links up');
    await cm.cmd('start');
    await cv.cmd('stop');
    await cv.cmd(`set eth-peer 0 ${m.mac}`);
    await cv.cmd('start tx_first 2');
    expect((await cm.waitStats((s) => s.rxPackets >= 64)).rxPackets).toBe(64);
    await cm.cmd('stop');
    await cm.cmd(`set eth-peer 0 ${v.mac}`);
    await cm.cmd('start tx_first 2');
    expect((await cv.waitStats((s) => s.rxPackets >= 64)).rxPackets).toBe(64);
    const st = (await c.unary(c.ports, c.ports.GetPortStats, { name: 'm' })).stats[0]!;
    expect([st.rxPackets, st.txPackets]).toEqual(['64', '64']);
  });

  it('refuses a client-mode memif port and an unknown type', async () => {
    const c = d.client;
    const e1 = await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'x', network: 'default', type: 'PORT_TYPE_MEMIF', mode: 'PORT_MODE_CLIENT' } })
      .then(() => undefined, (e: grpc.ServiceError) => e);
    expect(e1?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(e1?.details).toMatch(/memif server: its mode must be server/);
    const e2 = await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'x', network: 'default', type: 7 as unknown as 'PORT_TYPE_MEMIF' } })
      .then(() => undefined, (e: grpc.ServiceError) => e);
    expect(e2?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(e2?.details).toMatch(/unknown port type 7/);
  });
});
