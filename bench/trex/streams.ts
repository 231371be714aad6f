// SPDX-License-Identifier: Apache-2.0
// The traffic profiles of the NDR/PDR search as TRex stream objects (the
// `stream` of add_stream, TRex's doc/trex_rpc_server_spec.asciidoc), and
// the same profiles as Python files for the TRex console (profiles.ts).
// Every stream is continuous with a relative pps weight; start_traffic's
// multiplier scales a port's streams to the offered rate in total.
import { udpFrame, UDP_SPORT_OFFSET } from './frames.js';

export const PROFILES = ['64b-1flow', '64b-10kflows', 'imix'] as const;
export type ProfileName = (typeof PROFILES)[number];

/** 10,000 flows: UDP source ports 1024..11023. */
export const FLOWS = 10_000;
export const FLOW_PORT_MIN = 1024;

/** IMIX as TRex's stl/imix.py: 64 / 594 / 1518 bytes at 28:16:4. */
export const IMIX = [
  { size: 64, pps: 28, isg: 0 },
  { size: 594, pps: 16, isg: 0.1 },
  { size: 1518, pps: 4, isg: 0.2 },
] as const;

export interface TrexStream {
  enabled: boolean;
  self_start: boolean;
  start_paused: boolean;
  isg: number;
  action_count: number;
  /** 0: source and destination MAC from trex_cfg.yaml's port_info (they match the packet anyway). */
  flags: number;
  next_stream_id: number;
  mode: { type: 'continuous'; rate: { type: 'pps' | 'bps_L1' | 'bps_L2' | 'percentage'; value: number } };
  packet: { binary: string; meta: string };
  vm: { instructions: Record<string, unknown>[]; split_by_var: string };
  flow_stats: { enabled: false };
}

export interface PortAddresses {
  /** The TRex port's own MAC (its fastpath memif port's MAC). */
  srcMac: string;
  /** The MAC of the TRex port on the other side. */
  dstMac: string;
}

/** Port 0 sends 16.0.0.1 -> 48.0.0.1, port 1 the reverse (TRex's convention). */
function ips(port: number): { srcIp: string; dstIp: string } {
  return port === 0 ? { srcIp: '16.0.0.1', dstIp: '48.0.0.1' } : { srcIp: '48.0.0.1', dstIp: '16.0.0.1' };
}

function stream(frame: Buffer, pps: number, isg: number, vm: TrexStream['vm']['instructions'] = []): TrexStream {
  return {
    enabled: true, self_start: true, start_paused: false, isg, action_count: 0, flags: 0, next_stream_id: -1,
    mode: { type: 'continuous', rate: { type: 'pps', value: pps } },
    packet: { binary: frame.toString('base64'), meta: '' },
    vm: { instructions: vm, split_by_var: '' },
    flow_stats: { enabled: false },
  };
}

/** Field engine: the UDP source port steps through FLOWS values, one per packet. */
export function flowVm(): TrexStream['vm']['instructions'] {
  return [
    { type: 'flow_var', name: 'sport', size: 2, op: 'inc', init_value: FLOW_PORT_MIN, min_value: FLOW_PORT_MIN, max_value: FLOW_PORT_MIN + FLOWS - 1, step: 1 },
    { type: 'write_flow_var', name: 'sport', pkt_offset: UDP_SPORT_OFFSET, add_value: 0, is_big_endian: true },
  ];
}

export function profileStreams(profile: ProfileName, port: number, a: PortAddresses): TrexStream[] {
  const base = { ...a, ...ips(port), srcPort: FLOW_PORT_MIN, dstPort: 12 };
  switch (profile) {
    case '64b-1flow': return [stream(udpFrame({ ...base, wireSize: 64 }), 1, 0)];
    case '64b-10kflows': return [stream(udpFrame({ ...base, wireSize: 64 }), 1, 0, flowVm())];
    case 'imix': return IMIX.map((m) => stream(udpFrame({ ...base, wireSize: m.size }), m.pps, m.isg));
  }
}

/** Mean size on the wire of the profile's packets, for Gbit/s figures. */
export function meanWireSize(profile: ProfileName): number {
  if (profile !== 'imix') return 64;
  const n = IMIX.reduce((s, m) => s + m.pps, 0);
  return IMIX.reduce((s, m) => s + m.size * m.pps, 0) / n;
}
