// SPDX-License-Identifier: Apache-2.0
// The orchestrator and the flow manager against the in-memory data plane
// (test/harness/fake-dataplane.ts) and an in-memory store: idempotency,
// rollback when the data plane or the state write fails, and replay, in
// milliseconds and without root. The e2e tests prove the same against the
// real data plane.
import { describe, expect, it } from 'vitest';

import { ApiError, fromDataplane } from '../../src/core/errors.js';
import { FlowManager } from '../../src/core/flows/flow-manager.js';
import { parseFlow } from '../../src/core/flows/flow-text.js';
import { MacPool } from '../../src/core/mac-pool.js';
import { Orchestrator } from '../../src/core/orchestrator.js';
import { emptyState, type DesiredState } from '../../src/core/state.js';
import { StateKeeper } from '../../src/core/state-keeper.js';
import type { StateStore } from '../../src/core/store.js';
import { FakeDataplane } from '../harness/fake-dataplane.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const LIMITS = { maxPorts: 3, maxQueues: 8, maxNetworks: 4, maxFlowsPerNetwork: 10, maxFlowsTotal: 20 };

/** A store in memory; `failing` makes the next save throw, as a full disk would. */
class MemoryStore {
  saved: DesiredState | undefined;
  failing = false;
  async save(s: DesiredState): Promise<void> {
    if (this.failing) {
      this.failing = false;
      throw new Error('ENOSPC: no space left on device');
    }
    this.saved = structuredClone(s);
  }
}

function setup(initial: DesiredState = emptyState()) {
  const dp = new FakeDataplane();
  const store = new MemoryStore();
  const keeper = new StateKeeper(store as unknown as StateStore, initial);
  const orch = new Orchestrator(dp, keeper, new MacPool('02:fa:57', 16), LIMITS, quiet);
  const flows = new FlowManager(dp, keeper, LIMITS, quiet);
  return { dp, store, keeper, orch, flows };
}

/** kind/reason as the API adapter would answer (data plane errors mapped by errno). */
const kindOf = (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (x: unknown) => {
  const e = fromDataplane(x);
  return e instanceof ApiError ? `${e.kind}/${e.reasonCode}` : String(e);
});

describe('orchestrator against a fake data plane', () => {
  it('creating the same port again changes nothing; a different spec is ALREADY_EXISTS', async () => {
    const { dp, orch } = setup();
    await orch.createNetwork({ name: 'n' });
    const a = await orch.createPort({ name: 'p', network: 'n', queues: 2 });
    const b = await orch.createPort({ name: 'p', network: 'n', queues: 2 });
    expect([a.created, b.created, b.port.record.mac]).toEqual([true, false, a.port.record.mac]);
    expect(dp.calls.filter((c) => c.startsWith('addPort'))).toEqual(['addPort p']);
    expect(await kindOf(orch.createPort({ name: 'p', network: 'n', queues: 3 }))).toBe('ALREADY_EXISTS/ALREADY_EXISTS');
  });

  it('a data plane failure leaves no trace: no port in the state, its MAC still free', async () => {
    const { dp, orch, keeper } = setup();
    await orch.createNetwork({ name: 'n' });
    dp.failNext('addPort');
    expect(await kindOf(orch.createPort({ name: 'p', network: 'n' }))).toBe('RESOURCE_EXHAUSTED/RESOURCE_EXHAUSTED');
    expect(keeper.state.ports).toEqual([]);
    const again = await orch.createPort({ name: 'q', network: 'n' });
    expect(again.port.record.mac).toBe('02:fa:57:00:00:01');
  });

  it('a state write that fails undoes the data plane change', async () => {
    const { dp, orch, keeper, store } = setup();
    await orch.createNetwork({ name: 'n' });
    store.failing = true;
    await expect(orch.createPort({ name: 'p', network: 'n' })).rejects.toThrow(/ENOSPC/);
    expect(dp.ports.has('p')).toBe(false);
    expect(dp.calls.slice(-2)).toEqual(['addPort p', 'removePort p']);
    expect(keeper.state.ports).toEqual([]);
    expect(store.saved!.ports).toEqual([]);
  });

  it('replay recreates networks then ports in order; one that fails is reported, the others come back', async () => {
    const first = setup();
    await first.orch.createNetwork({ name: 'n' });
    for (const name of ['a', 'b', 'c']) await first.orch.createPort({ name, network: 'n' });
    const { dp, orch } = setup(first.store.saved);
    dp.failNext('addPort', new Error('socket in use'));
    const r = await orch.replay();
    expect(dp.calls).toEqual(['createNetwork n', 'addPort a', 'addPort b', 'addPort c']);
    expect(r).toMatchObject({ networks: 1, failed: ['a'] });
    expect([...dp.ports.keys()]).toEqual(['b', 'c']);
    // The one that failed is still in the state, and can be deleted.
    await orch.deletePort('a', false);
    expect(dp.calls.at(-1)).toBe('addPort c');
  });

  it('rx queue pins: persisted, idempotent, undone when the state write fails, set aside at replay for lost workers', async () => {
    const { dp, store, orch } = setup();
    await orch.createNetwork({ name: 'n' });
    await orch.createPort({ name: 'p', network: 'n', queues: 2, rxqAffinity: { 1: 2 } });
    expect(dp.ports.get('p')!.rxqAffinity).toEqual({ 1: 2 });
    expect(store.saved!.ports[0]!.rxqAffinity).toEqual({ 1: 2 });
    expect(await kindOf(orch.createPort({ name: 'p', network: 'n', queues: 2 }))).toBe('ALREADY_EXISTS/ALREADY_EXISTS');
    expect(await kindOf(orch.setRxqAffinity('p', { 2: 1 }))).toBe('INVALID_ARGUMENT/INVALID_ARGUMENT'); // no queue 2
    expect(await kindOf(orch.setRxqAffinity('p', { 0: 9 }))).toBe('INVALID_ARGUMENT/INVALID_ARGUMENT'); // no lcore 9
    const calls = dp.calls.length;
    await orch.setRxqAffinity('p', { '1': 2 } as unknown as Record<number, number>); // as proto maps arrive: same pins
    expect(dp.calls.length).toBe(calls);
    store.failing = true;
    expect(await kindOf(orch.setRxqAffinity('p', { 0: 1, 1: 1 }))).toMatch(/ENOSPC/);
    expect(dp.ports.get('p')!.rxqAffinity).toEqual({ 1: 2 }); // the data plane change undone
    await orch.setRxqAffinity('p', {});
    expect(store.saved!.ports[0]!.rxqAffinity).toBeUndefined();
    await orch.setRxqAffinity('p', { 0: 2 });
    const again = setup(store.saved);
    again.dp.workerLcores = [1];
    expect((await again.orch.replay()).failed).toEqual([]);
    expect(again.dp.ports.get('p')!.rxqAffinity).toEqual({}); // placed by load, not refused
    expect(again.keeper.state.ports[0]!.rxqAffinity).toEqual({ 0: 2 }); // and kept for later
  });

  it('refuses with reasons a client can act on; limits are RESOURCE_EXHAUSTED', async () => {
    const { orch } = setup();
    expect(await kindOf(orch.createPort({ name: 'p', network: 'nosuch' }))).toBe('NOT_FOUND/NETWORK_NOT_FOUND');
    await orch.createNetwork({ name: 'n' });
    await orch.createPort({ name: 'p', network: 'n' });
    expect(await kindOf(orch.deleteNetwork('n', false))).toBe('FAILED_PRECONDITION/NETWORK_IN_USE');
    expect(await kindOf(orch.deletePort('nosuch', false))).toBe('NOT_FOUND/PORT_NOT_FOUND');
    for (const name of ['q', 'r']) await orch.createPort({ name, network: 'n' });
    expect(await kindOf(orch.createPort({ name: 's', network: 'n' }))).toBe('RESOURCE_EXHAUSTED/RESOURCE_EXHAUSTED');
    expect(await kindOf(orch.createPort({ name: 't', network: 'n', queues: 9 }))).toBe('INVALID_ARGUMENT/INVALID_ARGUMENT');
  });
});

describe('flow manager against a fake data plane', () => {
  const spec = (t: string) => parseFlow(t);

  it('the same rule again keeps its id; a table the data plane refuses leaves the state as it was', async () => {
    const { dp, orch, flows, keeper } = setup();
    await orch.createNetwork({ name: 'n' });
    const a = await flows.add('n', spec('priority=5,ip,actions=drop'));
    const b = await flows.add('n', spec('priority=5,ip,actions=drop'));
    expect([a.created, b.created, b.flow.id]).toEqual([true, false, a.flow.id]);
    expect(dp.flowTables.get('n')!.rules).toHaveLength(1);
    dp.failNext('setFlowTable');
    expect(await kindOf(flows.replace('n', [spec('priority=1,tcp,actions=drop'), spec('priority=2,udp,actions=drop')]))).toBe('RESOURCE_EXHAUSTED/RESOURCE_EXHAUSTED');
    expect((keeper.state.flows ?? []).map((f) => f.id)).toEqual([a.flow.id]);
    expect(dp.flowTables.get('n')!.rules).toHaveLength(1);
  });
});
