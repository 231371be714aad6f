// SPDX-License-Identifier: Apache-2.0
// Flow specs between the proto messages and the flow model, both ways: the
// server (flow-service.ts) and fpctl use these. Pure: no server, data plane
// or gRPC code comes in with them.
import { invalid } from '../core/errors.js';
import type { FlowActionType, FlowSpec, FlowSpecInput } from '../core/flows/flow-spec.js';
import type { FlowActionType__Output } from './gen/fastpath/v1/FlowActionType.js';
import type { FlowSpec as ProtoFlowSpec, FlowSpec__Output } from './gen/fastpath/v1/FlowSpec.js';

const ACTION_TYPES: Record<Exclude<FlowActionType__Output, 'FLOW_ACTION_TYPE_UNSPECIFIED'>, FlowActionType> = {
  FLOW_ACTION_TYPE_OUTPUT: 'output',
  FLOW_ACTION_TYPE_DROP: 'drop',
  FLOW_ACTION_TYPE_NORMAL: 'normal',
  FLOW_ACTION_TYPE_FLOOD: 'flood',
  FLOW_ACTION_TYPE_PUNT: 'punt',
  FLOW_ACTION_TYPE_PUSH_VLAN: 'push_vlan',
  FLOW_ACTION_TYPE_POP_VLAN: 'pop_vlan',
  FLOW_ACTION_TYPE_SET_DST_MAC: 'set_dst_mac',
};
const PROTO_ACTION = Object.fromEntries(Object.entries(ACTION_TYPES).map(([k, v]) => [v, k])) as Record<FlowActionType, FlowActionType__Output>;

export function fromProtoSpec(s: FlowSpec__Output | null | undefined): FlowSpecInput {
  if (!s) throw invalid('spec is required');
  const m = s.match;
  return {
    priority: s.priority,
    match: m ? {
      inPort: m.inPort, dlSrc: m.dlSrc, dlDst: m.dlDst, vlan: m.vlanId, dlType: m.dlType,
      nwSrc: m.nwSrc, nwDst: m.nwDst, nwProto: m.nwProto,
      tpSrc: m.tpSrc, tpDst: m.tpDst, tcpFlags: m.tcpFlags, nwFrag: m.nwFrag,
    } : {},
    actions: s.actions.map((a, i) => {
      const type = ACTION_TYPES[a.type as keyof typeof ACTION_TYPES];
      if (!type) throw invalid(`action ${i}: type is required`);
      return { type, port: a.port, vlan: a.vlanId, mac: a.mac };
    }),
  };
}

export function toProtoSpec(s: FlowSpec): ProtoFlowSpec {
  const m = s.match;
  return {
    priority: s.priority,
    match: {
      inPort: m.inPort ?? '', dlSrc: m.dlSrc ?? '', dlDst: m.dlDst ?? '',
      ...(m.vlan !== undefined ? { vlanId: m.vlan } : {}),
      ...(m.dlType !== undefined ? { dlType: m.dlType } : {}),
      nwSrc: m.nwSrc ?? '', nwDst: m.nwDst ?? '',
      ...(m.nwProto !== undefined ? { nwProto: m.nwProto } : {}),
      ...(m.tpSrc ? { tpSrc: m.tpSrc } : {}),
      ...(m.tpDst ? { tpDst: m.tpDst } : {}),
      ...(m.tcpFlags ? { tcpFlags: m.tcpFlags } : {}),
      nwFrag: m.nwFrag ?? '',
    },
    actions: s.actions.map((a) => ({ type: PROTO_ACTION[a.type], port: a.port ?? '', vlanId: a.vlan ?? 0, mac: a.mac ?? '' })),
  };
}
