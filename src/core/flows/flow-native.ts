// SPDX-License-Identifier: Apache-2.0
// A canonical FlowSpec as the data plane takes it (struct fp_flow_rule):
// field bits, address bytes, one verdict plus rewrites.
import { FLOW_FIELD, FLOW_VERDICT, FLOW_VLAN_OP, type NativeFlowRule } from '../../dataplane/index.js';
import { macBytes, macMatchBytes, parsePrefix } from './addr.js';
import type { FlowSpec, NwFrag } from './flow-spec.js';

/** nw_frag as [value, mask] over FP_FLOW_FRAG_ANY (1) and FP_FLOW_FRAG_LATER (2). */
const NW_FRAG_BITS: Record<NwFrag, [number, number]> = {
  no: [0, 1], yes: [1, 1], first: [1, 3], later: [2, 2], not_later: [0, 2],
};

function prefixBytes(s: string): { bytes: Uint8Array; len: number } {
  const p = parsePrefix(s);
  const bytes = new Uint8Array(16);
  bytes.set(p.bytes); // IPv4 sits in the first four bytes
  return { bytes, len: p.len };
}

export function toNativeRule(id: number, s: FlowSpec): NativeFlowRule {
  const m = s.match;
  const match: NativeFlowRule['match'] = { fields: 0 };
  if (m.inPort !== undefined) { match.fields |= FLOW_FIELD.inPort; match.inPort = m.inPort; }
  if (m.dlSrc !== undefined) {
    const { mac, mask } = macMatchBytes(m.dlSrc);
    match.fields |= FLOW_FIELD.dlSrc; match.dlSrc = mac; match.dlSrcMask = mask;
  }
  if (m.dlDst !== undefined) {
    const { mac, mask } = macMatchBytes(m.dlDst);
    match.fields |= FLOW_FIELD.dlDst; match.dlDst = mac; match.dlDstMask = mask;
  }
  if (m.vlan !== undefined) { match.fields |= FLOW_FIELD.vlan; match.vlan = m.vlan; }
  if (m.dlType !== undefined) { match.fields |= FLOW_FIELD.dlType; match.dlType = m.dlType; }
  if (m.nwSrc !== undefined) {
    const p = prefixBytes(m.nwSrc);
    match.fields |= FLOW_FIELD.nwSrc; match.nwSrc = p.bytes; match.nwSrcLen = p.len;
  }
  if (m.nwDst !== undefined) {
    const p = prefixBytes(m.nwDst);
    match.fields |= FLOW_FIELD.nwDst; match.nwDst = p.bytes; match.nwDstLen = p.len;
  }
  if (m.nwProto !== undefined) { match.fields |= FLOW_FIELD.nwProto; match.nwProto = m.nwProto; }
  if (m.tpSrc !== undefined) { match.fields |= FLOW_FIELD.tpSrc; match.tpSrcLo = m.tpSrc.lo; match.tpSrcHi = m.tpSrc.hi; }
  if (m.tpDst !== undefined) { match.fields |= FLOW_FIELD.tpDst; match.tpDstLo = m.tpDst.lo; match.tpDstHi = m.tpDst.hi; }
  if (m.tcpFlags !== undefined) {
    match.fields |= FLOW_FIELD.tcpFlags; match.tcpFlags = m.tcpFlags.value; match.tcpFlagsMask = m.tcpFlags.mask;
  }
  if (m.nwFrag !== undefined) {
    match.fields |= FLOW_FIELD.nwFrag;
    [match.frag, match.fragMask] = NW_FRAG_BITS[m.nwFrag];
  }

  const actions: NativeFlowRule['actions'] = { verdict: FLOW_VERDICT.normal };
  const outputs: string[] = [];
  for (const a of s.actions) {
    switch (a.type) {
      case 'output': outputs.push(a.port!); actions.verdict = FLOW_VERDICT.output; break;
      case 'drop': actions.verdict = FLOW_VERDICT.drop; break;
      case 'normal': actions.verdict = FLOW_VERDICT.normal; break;
      case 'flood': actions.verdict = FLOW_VERDICT.flood; break;
      case 'push_vlan': actions.vlanOp = FLOW_VLAN_OP.push; actions.pushVlan = a.vlan!; break;
      case 'pop_vlan': actions.vlanOp = FLOW_VLAN_OP.pop; break;
      case 'set_dst_mac': actions.dstMac = macBytes(a.mac!); break;
      case 'punt': actions.verdict = FLOW_VERDICT.punt; break;
    }
  }
  if (outputs.length) actions.outputs = outputs;
  return { id, priority: s.priority, match, actions };
}
