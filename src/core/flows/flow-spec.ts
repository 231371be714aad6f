// SPDX-License-Identifier: Apache-2.0
// The flow rule model: what a rule matches and does, normalised into one
// canonical form (validated, host bits cleared, wildcards left out), and the
// keys that make AddFlow idempotent. Port names are checked against the
// network elsewhere (flow-manager.ts): this file needs no state.
import { invalid } from '../errors.js';
import { AddrError, canonicalMacMatch, normaliseMacOrThrow, parsePrefix, prefixString } from './addr.js';

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const ETH_ARP = 0x0806;
export const IP_TCP = 6;
export const IP_UDP = 17;
export const IP_SCTP = 132;
export const IP_ICMP = 1;
export const IP_ICMPV6 = 58;
export const MAX_OUTPUTS = 8;
export const DEFAULT_PRIORITY = 32768;

export interface PortRange { lo: number; hi: number }
/** ovs-ofctl's nw_frag: no (not a fragment), yes (any fragment), first (the
 * first fragment), later (any other: no L4 header), not_later (no or first). */
export type NwFrag = 'no' | 'yes' | 'first' | 'later' | 'not_later';
export const NW_FRAGS: readonly NwFrag[] = ['no', 'yes', 'first', 'later', 'not_later'];
export interface TcpFlagsMatch { value: number; mask: number }

/** Present keys are constraints; absent ones are wildcards. */
export interface FlowMatch {
  inPort?: string;
  dlSrc?: string;
  dlDst?: string;
  vlan?: number;
  dlType?: number;
  nwSrc?: string;
  nwDst?: string;
  nwProto?: number;
  tpSrc?: PortRange;
  tpDst?: PortRange;
  tcpFlags?: TcpFlagsMatch;
  nwFrag?: NwFrag;
}

export type FlowActionType = 'output' | 'drop' | 'normal' | 'flood' | 'punt' | 'push_vlan' | 'pop_vlan' | 'set_dst_mac';
export const FLOW_ACTION_TYPES: readonly FlowActionType[] = ['output', 'drop', 'normal', 'flood', 'punt', 'push_vlan', 'pop_vlan', 'set_dst_mac'];

export interface FlowAction {
  type: FlowActionType;
  port?: string;
  vlan?: number;
  mac?: string;
}

export interface FlowSpec {
  priority: number;
  match: FlowMatch;
  actions: FlowAction[];
}

/** Loose input (API messages: '' and null for unset). */
export interface FlowSpecInput {
  priority?: number | null;
  match?: {
    inPort?: string | null; dlSrc?: string | null; dlDst?: string | null;
    vlan?: number | null; dlType?: number | null; nwSrc?: string | null; nwDst?: string | null;
    nwProto?: number | null; tpSrc?: PortRange | null; tpDst?: PortRange | null; tcpFlags?: TcpFlagsMatch | null;
    nwFrag?: string | null;
  } | null;
  actions?: ReadonlyArray<{ type: string; port?: string | null; vlan?: number | null; mac?: string | null }> | null;
}

const REWRITES: ReadonlySet<FlowActionType> = new Set(['push_vlan', 'pop_vlan', 'set_dst_mac']);

function int(what: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw invalid(`${what} must be an integer in ${lo}..${hi}, got ${v}`);
  return v;
}

const set = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null && (v as unknown) !== '';

function addr<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof AddrError) throw invalid(`${field}: ${e.message}`);
    throw e;
  }
}

function range(field: string, r: PortRange): PortRange {
  const lo = int(`${field} low port`, r.lo, 0, 65535);
  const hi = int(`${field} high port`, r.hi, 0, 65535);
  if (lo > hi) throw invalid(`${field}: range ${lo}-${hi} is empty (low > high)`);
  if (lo === 0 && hi === 65535) throw invalid(`${field}: 0-65535 matches every port: leave the field out instead`);
  return { lo, hi };
}

function normaliseMatch(m: NonNullable<FlowSpecInput['match']>): FlowMatch {
  const out: FlowMatch = {};
  if (set(m.inPort)) out.inPort = m.inPort;
  if (set(m.dlSrc)) out.dlSrc = addr('dl_src', () => canonicalMacMatch(m.dlSrc!));
  if (set(m.dlDst)) out.dlDst = addr('dl_dst', () => canonicalMacMatch(m.dlDst!));
  if (set(m.vlan)) out.vlan = int('vlan id', m.vlan, 0, 4094);
  if (set(m.dlType)) out.dlType = int('dl_type', m.dlType, 0x600, 0xffff);
  const ipv = out.dlType === ETH_IPV4 ? 4 : out.dlType === ETH_IPV6 ? 6 : 0;
  for (const [field, v] of [['nw_src', m.nwSrc], ['nw_dst', m.nwDst]] as const) {
    if (!set(v)) continue;
    if (ipv === 0) throw invalid(`${field} needs dl_type 0x0800 (ip) or 0x86dd (ipv6)`);
    const p = addr(field, () => parsePrefix(v));
    if (p.family !== ipv) throw invalid(`${field} ${v} is IPv${p.family} but dl_type says IPv${ipv}`);
    if (p.len === 0) throw invalid(`${field}: a /0 prefix matches everything: leave the field out instead`);
    out[field === 'nw_src' ? 'nwSrc' : 'nwDst'] = prefixString(p);
  }
  if (set(m.nwProto)) {
    if (ipv === 0) throw invalid('nw_proto needs dl_type 0x0800 (ip) or 0x86dd (ipv6)');
    out.nwProto = int('nw_proto', m.nwProto, 0, 255);
  }
  const l4 = out.nwProto === IP_TCP || out.nwProto === IP_UDP || out.nwProto === IP_SCTP;
  for (const [field, v] of [['tp_src', m.tpSrc], ['tp_dst', m.tpDst]] as const) {
    if (!set(v)) continue;
    if (!l4) throw invalid(`${field} needs nw_proto 6 (tcp), 17 (udp) or 132 (sctp)`);
    out[field === 'tp_src' ? 'tpSrc' : 'tpDst'] = range(field, v);
  }
  if (set(m.tcpFlags)) {
    if (out.nwProto !== IP_TCP) throw invalid('tcp_flags needs nw_proto 6 (tcp)');
    const mask = int('tcp_flags mask', m.tcpFlags.mask, 1, 0xfff);
    const value = int('tcp_flags value', m.tcpFlags.value, 0, 0xfff);
    if (value & ~mask) throw invalid(`tcp_flags value 0x${value.toString(16)} has bits outside mask 0x${mask.toString(16)}`);
    out.tcpFlags = { value, mask };
  }
  if (set(m.nwFrag)) {
    if (ipv === 0) throw invalid('nw_frag needs dl_type 0x0800 (ip) or 0x86dd (ipv6)');
    if (!NW_FRAGS.includes(m.nwFrag as NwFrag)) throw invalid(`nw_frag must be one of ${NW_FRAGS.join(', ')}, got ${JSON.stringify(m.nwFrag)}`);
    out.nwFrag = m.nwFrag as NwFrag;
    if (out.nwFrag === 'later' && (out.tpSrc || out.tpDst || out.tcpFlags)) {
      throw invalid('nw_frag=later never matches with tp_src, tp_dst or tcp_flags: later fragments carry no L4 header');
    }
  }
  return out;
}

function normaliseActions(list: NonNullable<FlowSpecInput['actions']>): FlowAction[] {
  if (list.length === 0) throw invalid('a flow needs at least one action (write drop to drop)');
  const out: FlowAction[] = [];
  let verdict: FlowActionType | undefined;
  const seen = new Set<FlowActionType>();
  for (const a of list) {
    const type = a.type as FlowActionType;
    if (!FLOW_ACTION_TYPES.includes(type)) throw invalid(`unknown action ${JSON.stringify(a.type)}`);
    if (REWRITES.has(type)) {
      if (verdict) throw invalid(`${type} after ${verdict} has no effect: put rewrites before the output action`);
      if (seen.has(type)) throw invalid(`${type} appears twice`);
      if ((type === 'push_vlan' && seen.has('pop_vlan')) || (type === 'pop_vlan' && seen.has('push_vlan'))) {
        throw invalid('push_vlan and pop_vlan conflict: use one');
      }
    } else if (verdict && !(type === 'output' && verdict === 'output')) {
      throw invalid(`${type} conflicts with ${verdict}: a flow has one of drop, normal, flood, punt, or output(s)`);
    }
    seen.add(type);
    if (type === 'output') {
      if (!set(a.port)) throw invalid('output needs a port name');
      if (out.some((x) => x.type === 'output' && x.port === a.port)) throw invalid(`output:${a.port} appears twice`);
      out.push({ type, port: a.port });
      if (out.filter((x) => x.type === 'output').length > MAX_OUTPUTS) throw invalid(`at most ${MAX_OUTPUTS} outputs per flow`);
    } else if (type === 'push_vlan') {
      out.push({ type, vlan: int('push_vlan id', a.vlan ?? 0, 1, 4094) });
    } else if (type === 'set_dst_mac') {
      out.push({ type, mac: addr('set_dst_mac', () => normaliseMacOrThrow(a.mac ?? '')) });
    } else {
      out.push({ type });
    }
    if (!REWRITES.has(type)) verdict = type;
  }
  if (verdict === 'drop' && out.length > 1) throw invalid('drop conflicts with every other action');
  if (!verdict) throw invalid('rewrites need a final action: output, normal, flood or punt');
  return out;
}

/** Validate and canonicalise; throws INVALID_ARGUMENT naming the field. */
export function normaliseFlowSpec(input: FlowSpecInput): FlowSpec {
  const priority = int('priority', input.priority ?? 0, 0, 65535);
  return { priority, match: normaliseMatch(input.match ?? {}), actions: normaliseActions(input.actions ?? []) };
}

const MATCH_ORDER: ReadonlyArray<keyof FlowMatch> = ['inPort', 'dlSrc', 'dlDst', 'vlan', 'dlType', 'nwSrc', 'nwDst', 'nwProto', 'tpSrc', 'tpDst', 'tcpFlags', 'nwFrag'];

/** Same priority and match: two such rules cannot both exist. */
export function matchKey(s: FlowSpec): string {
  return JSON.stringify([s.priority, MATCH_ORDER.map((k) => s.match[k] ?? null)]);
}

/** The whole rule: equal keys mean "the same flow" (AddFlow returns its id). */
export function specKey(s: FlowSpec): string {
  return JSON.stringify([matchKey(s), s.actions.map((a) => [a.type, a.port ?? null, a.vlan ?? null, a.mac ?? null])]);
}

/** Port names a rule refers to. */
export function portsOf(s: FlowSpec): string[] {
  return [...(s.match.inPort ? [s.match.inPort] : []), ...s.actions.filter((a) => a.type === 'output').map((a) => a.port!)];
}
