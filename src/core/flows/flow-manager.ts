// SPDX-License-Identifier: Apache-2.0
// Flow rules per network: validation against the network's ports, ids and
// idempotency, the rule limit, the data plane's table (always replaced as a
// whole, so every packet sees the old set or the new one), and their part
// of the persisted desired state.
import type { Dataplane, SwitchPlane } from '../../dataplane/index.js';
import { exhausted, exists, invalid, notFound, precondition } from '../errors.js';
import type { DesiredState, FlowRecord } from '../state.js';
import type { StateKeeper } from '../state-keeper.js';
import { matchKey, normaliseFlowSpec, portsOf, specKey, type FlowSpec, type FlowSpecInput } from './flow-spec.js';
import { formatFlow } from './flow-text.js';
import { toNativeRule } from './flow-native.js';

export type MissAction = 'normal' | 'drop';

export interface FlowView {
  id: number;
  network: string;
  spec: FlowSpec;
  packets: bigint;
  bytes: bigint;
  text: string;
}

export interface FlowListing {
  flows: FlowView[];
  miss: MissAction;
  missPackets: bigint;
  missBytes: bigint;
}

interface Logger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Highest priority first, then oldest: the order tables are listed in. */
const byPriority = (a: FlowRecord, b: FlowRecord): number => b.spec.priority - a.spec.priority || a.id - b.id;

/** The state without a deleted network's rules. */
export function withoutNetworkFlows(s: DesiredState, network: string): DesiredState {
  return {
    ...s,
    flows: (s.flows ?? []).filter((f) => f.network !== network),
    flowMissDrop: (s.flowMissDrop ?? []).filter((n) => n !== network),
  };
}

export class FlowManager {
  constructor(
    private readonly dp: SwitchPlane,
    private readonly keeper: StateKeeper,
    private readonly limits: { maxFlowsPerNetwork: number; maxFlowsTotal: number },
    private readonly log: Logger,
    /** Whether a network has a kernel exception interface (punt target). */
    private readonly hasKernelInterface: (network: string) => boolean = () => false,
  ) {}

  /** Install every saved table, after ports and before forwarding. */
  async replay(): Promise<{ tables: number; flows: number; failed: string[] }> {
    const s = this.keeper.state;
    const nets = new Set([...(s.flows ?? []).map((f) => f.network), ...(s.flowMissDrop ?? [])]);
    const failed: string[] = [];
    for (const n of nets) {
      try {
        await this.push(n, s);
      } catch (e) {
        failed.push(n);
        this.log.error({ network: n, err: (e as Error).message }, 'flow table could not be installed from state');
      }
    }
    return { tables: nets.size - failed.length, flows: (s.flows ?? []).length, failed };
  }

  /** Replacing `replaced` flows of one network by `added`: within the limit across networks? */
  private checkTotal(replaced: number, added: number): void {
    const total = (this.keeper.state.flows ?? []).length - replaced + added;
    if (total > this.limits.maxFlowsTotal) {
      throw exhausted(`${total} flows across all networks would exceed the limit (--max-flows-total ${this.limits.maxFlowsTotal})`);
    }
  }

  add(network: string, input: FlowSpecInput): Promise<{ flow: FlowView; created: boolean }> {
    return this.keeper.serial(async () => {
      this.requireNetwork(network);
      const spec = this.check(network, input);
      const mine = this.flowsOf(network);
      const same = mine.find((f) => specKey(f.spec) === specKey(spec));
      if (same) return { flow: (await this.views(network, [same]))[0]!, created: false };
      const clash = mine.find((f) => matchKey(f.spec) === matchKey(spec));
      if (clash) {
        throw exists(`flow ${clash.id} has the same priority and match with other actions (${formatFlow(clash.spec)}); delete it or use ReplaceFlows`);
      }
      if (mine.length >= this.limits.maxFlowsPerNetwork) {
        throw exhausted(`network ${network} has ${mine.length} flows, its limit (--max-flows ${this.limits.maxFlowsPerNetwork})`);
      }
      this.checkTotal(0, 1);
      const id = this.keeper.state.nextFlowId ?? 1;
      const rec: FlowRecord = { id, network, spec };
      await this.apply(network, { flows: [...(this.keeper.state.flows ?? []), rec], nextFlowId: id + 1 });
      this.log.info({ network, flow: id, text: formatFlow(spec) }, 'flow added');
      return { flow: (await this.views(network, [rec]))[0]!, created: true };
    });
  }

  delete(network: string, id: number, allowMissing: boolean): Promise<void> {
    return this.keeper.serial(async () => {
      this.requireNetwork(network);
      const rec = this.flowsOf(network).find((f) => f.id === id);
      if (!rec) {
        if (allowMissing) return;
        throw notFound(`network ${network} has no flow ${id}`);
      }
      await this.apply(network, { flows: (this.keeper.state.flows ?? []).filter((f) => f !== rec) });
      this.log.info({ network, flow: id }, 'flow deleted');
    });
  }

  /** Atomic swap of a network's whole rule set; unchanged rules keep id and counters. */
  replace(network: string, inputs: FlowSpecInput[]): Promise<FlowView[]> {
    return this.keeper.serial(async () => {
      this.requireNetwork(network);
      if (inputs.length > this.limits.maxFlowsPerNetwork) {
        throw exhausted(`${inputs.length} flows exceed network ${network}'s limit (--max-flows ${this.limits.maxFlowsPerNetwork})`);
      }
      this.checkTotal(this.flowsOf(network).length, inputs.length);
      const specs = inputs.map((x, i) => {
        try {
          return this.check(network, x);
        } catch (e) {
          if (e instanceof Error) e.message = `spec ${i}: ${e.message}`;
          throw e;
        }
      });
      const seen = new Map<string, number>();
      specs.forEach((s, i) => {
        const k = matchKey(s);
        if (seen.has(k)) throw invalid(`specs ${seen.get(k)} and ${i} have the same priority and match`);
        seen.set(k, i);
      });
      const old = new Map(this.flowsOf(network).map((f) => [specKey(f.spec), f]));
      let next = this.keeper.state.nextFlowId ?? 1;
      const recs = specs.map((spec) => old.get(specKey(spec)) ?? { id: next++, network, spec });
      const others = (this.keeper.state.flows ?? []).filter((f) => f.network !== network);
      await this.apply(network, { flows: [...others, ...recs], nextFlowId: next });
      this.log.info({ network, flows: recs.length }, 'flows replaced');
      return this.views(network, recs);
    });
  }

  setMiss(network: string, action: MissAction): Promise<void> {
    return this.keeper.serial(async () => {
      this.requireNetwork(network);
      const drop = new Set(this.keeper.state.flowMissDrop ?? []);
      if (drop.has(network) === (action === 'drop')) return;
      if (action === 'drop') drop.add(network);
      else drop.delete(network);
      await this.apply(network, { flowMissDrop: [...drop].sort() });
      this.log.info({ network, miss: action }, 'flow table miss action set');
    });
  }

  async list(network: string): Promise<FlowListing> {
    this.requireNetwork(network);
    const recs = this.flowsOf(network).sort(byPriority);
    const stats = await this.dp.flowStats(network);
    const missAt = stats.ids.indexOf(0);
    return {
      flows: await this.views(network, recs, stats),
      miss: this.missOf(network),
      missPackets: (missAt >= 0 ? stats.packets[missAt] : undefined) ?? 0n,
      missBytes: (missAt >= 0 ? stats.bytes[missAt] : undefined) ?? 0n,
    };
  }

  // ---- internals ----

  private requireNetwork(network: string): void {
    if (!this.keeper.state.networks.some((n) => n.name === network)) throw notFound(`no network named ${network}`, 'NETWORK_NOT_FOUND');
  }

  private flowsOf(network: string, s: DesiredState = this.keeper.state): FlowRecord[] {
    return (s.flows ?? []).filter((f) => f.network === network);
  }

  private missOf(network: string, s: DesiredState = this.keeper.state): MissAction {
    return (s.flowMissDrop ?? []).includes(network) ? 'drop' : 'normal';
  }

  /** Normalise, and check what needs state: ports and the punt target. */
  private check(network: string, input: FlowSpecInput): FlowSpec {
    const spec = normaliseFlowSpec(input);
    for (const name of portsOf(spec)) {
      const p = this.keeper.state.ports.find((x) => x.name === name);
      if (!p) throw notFound(`no port named ${name}`, 'PORT_NOT_FOUND');
      if (p.network !== network) throw invalid(`port ${name} is in network ${p.network}, not ${network}`);
    }
    if (spec.actions.some((a) => a.type === 'punt') && !this.hasKernelInterface(network)) {
      throw precondition(`punt needs a kernel exception interface on network ${network}, and it has none`);
    }
    return spec;
  }

  /** Give the data plane network's table as it is in s. */
  private async push(network: string, s: DesiredState): Promise<void> {
    const rules = this.flowsOf(network, s).sort(byPriority).map((f) => toNativeRule(f.id, f.spec));
    await this.dp.setFlowTable(network, this.missOf(network, s) === 'drop', rules);
  }

  /** Data plane first, then persist; if persisting fails, put the old table back. */
  private async apply(network: string, change: Partial<DesiredState>): Promise<void> {
    const before = this.keeper.state;
    const next = { ...before, ...change };
    await this.push(network, next);
    await this.keeper.commit(next, () => this.push(network, before));
  }

  private async views(network: string, recs: FlowRecord[], stats?: Awaited<ReturnType<Dataplane['flowStats']>>): Promise<FlowView[]> {
    const st = stats ?? await this.dp.flowStats(network);
    const at = new Map<number, number>();
    st.ids.forEach((id, i) => at.set(id, i));
    return recs.map((r) => {
      const i = at.get(r.id);
      return {
        id: r.id, network, spec: r.spec, text: formatFlow(r.spec),
        packets: (i === undefined ? undefined : st.packets[i]) ?? 0n,
        bytes: (i === undefined ? undefined : st.bytes[i]) ?? 0n,
      };
    });
  }
}
