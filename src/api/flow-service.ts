// SPDX-License-Identifier: Apache-2.0
// fastpath.v1.FlowService handlers (the message conversions, shared with
// fpctl, are in flow-convert.ts).
import { invalid } from '../core/errors.js';
import type { FlowManager, FlowView, MissAction } from '../core/flows/flow-manager.js';
import type { Adapter } from './adapter.js';
import { fromProtoSpec, toProtoSpec } from './flow-convert.js';
import type { Flow } from './gen/fastpath/v1/Flow.js';
import type { FlowServiceHandlers } from './gen/fastpath/v1/FlowService.js';
import { u64 } from './u64.js';

function toFlow(f: FlowView): Flow {
  return { id: f.id, network: f.network, spec: toProtoSpec(f.spec), packets: u64(f.packets), bytes: u64(f.bytes), text: f.text };
}

const MISS: Record<string, MissAction> = { MISS_ACTION_NORMAL: 'normal', MISS_ACTION_DROP: 'drop' };

export function flowService(flows: FlowManager, a: Adapter): FlowServiceHandlers {
  return {
    AddFlow: a.unary('AddFlow', async (req) => {
      const { flow, created } = await flows.add(req.network, fromProtoSpec(req.spec));
      return { flow: toFlow(flow), created };
    }),
    DeleteFlow: a.unary('DeleteFlow', async (req) => {
      await flows.delete(req.network, req.id, req.allowMissing);
      return {};
    }),
    ListFlows: a.unary('ListFlows', async (req) => {
      const l = await flows.list(req.network);
      return {
        flows: l.flows.map(toFlow),
        missAction: l.miss === 'drop' ? 'MISS_ACTION_DROP' : 'MISS_ACTION_NORMAL',
        missPackets: u64(l.missPackets),
        missBytes: u64(l.missBytes),
      };
    }),
    ReplaceFlows: a.unary('ReplaceFlows', async (req) => {
      const specs = req.specs.map((s, i) => {
        try {
          return fromProtoSpec(s);
        } catch (e) {
          if (e instanceof Error) e.message = `spec ${i}: ${e.message}`;
          throw e;
        }
      });
      return { flows: (await flows.replace(req.network, specs)).map(toFlow) };
    }),
    SetMissAction: a.unary('SetMissAction', async (req) => {
      const action = MISS[req.action as string];
      if (!action) throw invalid('action must be MISS_ACTION_NORMAL or MISS_ACTION_DROP');
      await flows.setMiss(req.network, action);
      return {};
    }),
  };
}
