// SPDX-License-Identifier: Apache-2.0
// uint64 counters stay exact from the data plane to the user: past 2^53,
// where a JavaScript number starts rounding, and up to 2^64 - 1. The data
// plane (fake here) hands bigints to the orchestrator, the PortService
// answers over a real gRPC server and client on a unix socket, and fpctl
// prints what arrived.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Adapter } from '../../src/api/adapter.js';
import { FastpathClient } from '../../src/api/client.js';
import { portService } from '../../src/api/port-service.js';
import { loadFastpathProto } from '../../src/api/proto.js';
import { dropReasons, totalDrops } from '../../src/cli/format.js';
import { MacPool } from '../../src/core/mac-pool.js';
import { Orchestrator } from '../../src/core/orchestrator.js';
import { emptyState } from '../../src/core/state.js';
import { StateKeeper } from '../../src/core/state-keeper.js';
import type { StateStore } from '../../src/core/store.js';
import { FakeDataplane } from '../harness/fake-dataplane.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const MAX = 2n ** 64n - 1n;
const PAST_DOUBLE = 2n ** 53n + 1n; // Number(PAST_DOUBLE) === 2 ** 53: one lost

describe('64-bit counters over the API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-u64-'));
  const endpoint = `unix://${join(dir, 'api.sock')}`;
  const server = new grpc.Server();
  let client: FastpathClient;

  beforeAll(async () => {
    const dp = new FakeDataplane();
    const store = { save: async () => undefined } as unknown as StateStore;
    const orch = new Orchestrator(dp, new StateKeeper(store, emptyState()), new MacPool('02:fa:57', 16), {
      maxPorts: 4, maxQueues: 8, maxNetworks: 4, maxFlowsPerNetwork: 10, maxFlowsTotal: 20,
    }, quiet);
    await orch.createNetwork({ name: 'n' });
    await orch.createPort({ name: 'p', network: 'n' });
    dp.counters.set('p', { rxPackets: PAST_DOUBLE, rxBytes: MAX, txPackets: 0n, txBytes: MAX - 1n, drops: { no_dest: PAST_DOUBLE, runt: 1n } });
    const proto = loadFastpathProto();
    server.addService(proto.fastpath.v1.PortService.service, portService(orch, new Adapter(quiet)) as unknown as grpc.UntypedServiceImplementation);
    await new Promise<void>((res, rej) => server.bindAsync(endpoint, grpc.ServerCredentials.createInsecure(), (e) => (e ? rej(e) : res())));
    client = new FastpathClient(endpoint, 5000);
  });

  afterAll(async () => {
    client?.close();
    await new Promise<void>((res) => server.tryShutdown(() => res()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('arrive exactly, as decimal strings', async () => {
    const s = (await client.unary(client.ports, client.ports.GetPortStats, { name: 'p' })).stats[0]!;
    expect([s.rxPackets, s.rxBytes, s.txPackets, s.txBytes]).toEqual([String(PAST_DOUBLE), String(MAX), '0', String(MAX - 1n)]);
    expect(s.drops).toMatchObject({ no_dest: '9007199254740993', runt: '1' });
    // What fpctl stats prints from them.
    expect(totalDrops(s.drops)).toBe(PAST_DOUBLE + 1n);
    expect(dropReasons(s.drops)).toContain('no_dest=9007199254740993');
  });

  it('a number would not have been exact', () => {
    expect(BigInt(Number(PAST_DOUBLE))).not.toBe(PAST_DOUBLE);
    expect(BigInt(Number(MAX))).not.toBe(MAX);
  });
});
