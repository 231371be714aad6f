// SPDX-License-Identifier: Apache-2.0
// Rule sets for the flow benches: `n` wildcard rules of which the loop
// traffic hits only the lowest-priority pair (in_port p0 -> p1 and back, as
// OVS-DPDK's row is configured), so every packet is classified against the
// whole table. The decoys look like a firewall's: UDP/TCP to /32 hosts and
// port ranges, spread over distinct prefixes, at higher priorities.
import { parseFlow } from '../../src/core/flows/flow-text.js';
import type { FlowSpec } from '../../src/core/flows/flow-spec.js';

export function loopFlowTexts(n: number, ports: readonly [string, string] = ['p0', 'p1']): string[] {
  if (n === 0) return [];
  if (n < 2) throw new Error('a loop flow table needs at least the two in_port rules');
  const out: string[] = [];
  for (let i = 0; i < n - 2; i++) {
    const proto = i % 2 === 0 ? 'udp' : 'tcp';
    const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const lo = 1024 + (i % 1000) * 32;
    out.push(`priority=${100 + (i % 1000)},${proto},nw_dst=${host},tp_dst=${lo}-${lo + 31},actions=drop`);
  }
  out.push(`priority=1,in_port=${ports[0]},actions=output:${ports[1]}`);
  out.push(`priority=1,in_port=${ports[1]},actions=output:${ports[0]}`);
  return out;
}

export function loopFlowSpecs(n: number, ports?: readonly [string, string]): FlowSpec[] {
  return loopFlowTexts(n, ports).map(parseFlow);
}
