// SPDX-License-Identifier: Apache-2.0
// The ovs-ofctl-like text form of a flow rule, parsed and printed:
//   priority=100,tcp,nw_dst=10.0.0.0/24,tp_dst=80,actions=output:web0
// Parse errors say which token is wrong and where (column, 1-based), so a
// CLI can point at it. Cross-field rules (prerequisites, conflicting
// actions) are flow-spec.ts's; their errors are pinned to the token of the
// field they name.
import { ApiError } from '../errors.js';
import {
  DEFAULT_PRIORITY, ETH_ARP, ETH_IPV4, ETH_IPV6, IP_ICMP, IP_ICMPV6, IP_SCTP, IP_TCP, IP_UDP,
  normaliseFlowSpec, type FlowAction, type FlowSpec, type FlowSpecInput, type PortRange,
} from './flow-spec.js';

export class FlowParseError extends ApiError {
  constructor(readonly reason: string, readonly column: number, readonly token: string) {
    super('INVALID_ARGUMENT', `flow text, column ${column} (${JSON.stringify(token)}): ${reason}`);
  }
}

/** dl_type / nw_proto shorthands, as ovs-ofctl spells them. */
const PROTOCOLS: Record<string, { dlType: number; nwProto?: number }> = {
  ip: { dlType: ETH_IPV4 }, ipv6: { dlType: ETH_IPV6 }, arp: { dlType: ETH_ARP },
  tcp: { dlType: ETH_IPV4, nwProto: IP_TCP }, udp: { dlType: ETH_IPV4, nwProto: IP_UDP },
  sctp: { dlType: ETH_IPV4, nwProto: IP_SCTP }, icmp: { dlType: ETH_IPV4, nwProto: IP_ICMP },
  tcp6: { dlType: ETH_IPV6, nwProto: IP_TCP }, udp6: { dlType: ETH_IPV6, nwProto: IP_UDP },
  sctp6: { dlType: ETH_IPV6, nwProto: IP_SCTP }, icmp6: { dlType: ETH_IPV6, nwProto: IP_ICMPV6 },
};

const TCP_FLAG_BITS: Record<string, number> = {
  fin: 0x001, syn: 0x002, rst: 0x004, psh: 0x008, ack: 0x010, urg: 0x020, ece: 0x040, cwr: 0x080, ns: 0x100,
};

/** Field keys and their aliases -> the field name flow-spec.ts errors use. */
const KEYS: Record<string, string> = {
  priority: 'priority', in_port: 'in_port', dl_src: 'dl_src', dl_dst: 'dl_dst', dl_vlan: 'vlan', dl_type: 'dl_type',
  nw_src: 'nw_src', nw_dst: 'nw_dst', ipv6_src: 'nw_src', ipv6_dst: 'nw_dst', nw_proto: 'nw_proto',
  tp_src: 'tp_src', tp_dst: 'tp_dst', tcp_src: 'tp_src', tcp_dst: 'tp_dst', udp_src: 'tp_src', udp_dst: 'tp_dst',
  sctp_src: 'tp_src', sctp_dst: 'tp_dst', tcp_flags: 'tcp_flags', nw_frag: 'nw_frag',
};

interface Token { text: string; col: number }

function num(t: Token, value: string, what: string): number {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(value)) throw new FlowParseError(`${what} must be a number (decimal or 0x hex)`, t.col, t.text);
  return Number(value);
}

function portRange(t: Token, v: string): PortRange {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  if (!m) throw new FlowParseError('want a port (80) or a range (1000-1999)', t.col, t.text);
  return { lo: Number(m[1]), hi: Number(m[2] ?? m[1]) };
}

function tcpFlags(t: Token, v: string): { value: number; mask: number } {
  if (/^[+-]/.test(v)) {
    let value = 0, mask = 0;
    for (const m of v.matchAll(/([+-])([a-z]*)/g)) {
      const bit = TCP_FLAG_BITS[m[2]!];
      if (!bit) throw new FlowParseError(`unknown TCP flag ${JSON.stringify(m[2])} (fin syn rst psh ack urg ece cwr ns)`, t.col, t.text);
      mask |= bit;
      if (m[1] === '+') value |= bit;
    }
    return { value, mask };
  }
  const [a, b] = v.split('/');
  const value = num(t, a ?? '', 'tcp_flags');
  return { value, mask: b === undefined ? 0xfff : num(t, b, 'tcp_flags mask') };
}

/** Split on commas, remembering each token's column; `actions=` takes the rest. */
function tokenize(text: string): { match: Token[]; actions?: Token } {
  const match: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (i >= text.length) break;
    if (text.startsWith('actions=', i)) return { match, actions: { text: text.slice(i), col: i + 1 } };
    let j = text.indexOf(',', i);
    if (j < 0) j = text.length;
    match.push({ text: text.slice(i, j).trim(), col: i + 1 });
    i = j;
  }
  return { match };
}

function parseActions(t: Token): FlowSpecInput['actions'] {
  const out: Array<{ type: string; port?: string; vlan?: number; mac?: string }> = [];
  const body = t.text.slice('actions='.length);
  let col = t.col + 'actions='.length;
  for (const raw of body.split(',')) {
    const a: Token = { text: raw.trim(), col: col + (raw.length - raw.trimStart().length) };
    col += raw.length + 1;
    const [name, arg] = a.text.split(/[:=](.*)/s, 2) as [string, string | undefined];
    const need = (what: string): string => {
      if (!arg) throw new FlowParseError(`${name} needs ${what} (${name}:${what})`, a.col, a.text);
      return arg;
    };
    switch (name) {
      case 'output': out.push({ type: 'output', port: need('port') }); break;
      case 'drop': case 'normal': case 'flood': case 'punt': case 'pop_vlan': out.push({ type: name }); break;
      case 'strip_vlan': out.push({ type: 'pop_vlan' }); break;
      case 'push_vlan': out.push({ type: 'push_vlan', vlan: num(a, need('vlan-id'), 'push_vlan id') }); break;
      case 'set_dst_mac': case 'mod_dl_dst': out.push({ type: 'set_dst_mac', mac: need('mac') }); break;
      case '': throw new FlowParseError('empty action', a.col, a.text);
      default:
        throw new FlowParseError('unknown action (output:PORT, drop, normal, flood, punt, push_vlan:ID, pop_vlan, set_dst_mac:MAC)', a.col, a.text);
    }
  }
  return out;
}

/** Parse one rule. Priority defaults to 32768, as in ovs-ofctl. */
export function parseFlow(text: string): FlowSpec {
  const { match, actions } = tokenize(text);
  if (!actions) throw new FlowParseError('missing actions=… (it must come last)', text.length + 1, text.slice(-12));
  const m: NonNullable<FlowSpecInput['match']> = {};
  let priority = DEFAULT_PRIORITY;
  const where = new Map<string, Token>();
  for (const t of match) {
    const eq = t.text.indexOf('=');
    const key = eq < 0 ? t.text : t.text.slice(0, eq);
    const value = eq < 0 ? undefined : t.text.slice(eq + 1);
    const proto = PROTOCOLS[key];
    if (proto && value === undefined) {
      if (where.has('dl_type')) throw new FlowParseError('protocol given twice', t.col, t.text);
      m.dlType = proto.dlType;
      where.set('dl_type', t);
      if (proto.nwProto !== undefined) { m.nwProto = proto.nwProto; where.set('nw_proto', t); }
      continue;
    }
    const field = KEYS[key];
    if (!field) throw new FlowParseError(`unknown field ${JSON.stringify(key)}`, t.col, t.text);
    if (value === undefined || value === '') throw new FlowParseError(`${key} needs a value (${key}=…)`, t.col, t.text);
    if (where.has(field)) throw new FlowParseError(`${field} given twice`, t.col, t.text);
    where.set(field, t);
    switch (field) {
      case 'priority': priority = num(t, value, 'priority'); break;
      case 'in_port': m.inPort = value; break;
      case 'dl_src': m.dlSrc = value; break;
      case 'dl_dst': m.dlDst = value; break;
      case 'vlan': m.vlan = num(t, value, 'dl_vlan'); break;
      case 'dl_type': m.dlType = num(t, value, 'dl_type'); break;
      case 'nw_src': m.nwSrc = value; break;
      case 'nw_dst': m.nwDst = value; break;
      case 'nw_proto': m.nwProto = num(t, value, 'nw_proto'); break;
      case 'tp_src': m.tpSrc = portRange(t, value); break;
      case 'tp_dst': m.tpDst = portRange(t, value); break;
      case 'tcp_flags': m.tcpFlags = tcpFlags(t, value); break;
      case 'nw_frag': m.nwFrag = value; break;
    }
  }
  const acts = parseActions(actions);
  try {
    return normaliseFlowSpec({ priority, match: m, actions: acts });
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    // Pin the error on the token of the field it names, else on actions=.
    const field = /^(\w+)/.exec(e.message)?.[1] ?? '';
    const t = where.get(field) ?? (field === 'priority' ? undefined : actions);
    if (!t) throw e;
    throw new FlowParseError(e.message, t.col, t.text);
  }
}

function protocolName(m: FlowSpec['match']): string | undefined {
  for (const [name, p] of Object.entries(PROTOCOLS)) {
    if (p.dlType === m.dlType && p.nwProto === m.nwProto) return name;
  }
  return undefined;
}

const hex = (v: number, w = 0): string => `0x${v.toString(16).padStart(w, '0')}`;
const rangeText = (r: PortRange): string => (r.lo === r.hi ? String(r.lo) : `${r.lo}-${r.hi}`);

function actionText(a: FlowAction): string {
  switch (a.type) {
    case 'output': return `output:${a.port}`;
    case 'push_vlan': return `push_vlan:${a.vlan}`;
    case 'set_dst_mac': return `set_dst_mac:${a.mac}`;
    default: return a.type;
  }
}

/** Canonical text: parseFlow(formatFlow(s)) equals s. */
export function formatFlow(s: FlowSpec): string {
  const m = s.match;
  const parts = [`priority=${s.priority}`];
  // The shorthand that says most (tcp over ip), then nw_proto for the rest.
  const proto = protocolName(m) ?? protocolName({ dlType: m.dlType });
  if (proto) parts.push(proto);
  else if (m.dlType !== undefined) parts.push(`dl_type=${hex(m.dlType, 4)}`);
  if (m.nwProto !== undefined && !PROTOCOLS[proto ?? '']?.nwProto) parts.push(`nw_proto=${m.nwProto}`);
  if (m.inPort !== undefined) parts.push(`in_port=${m.inPort}`);
  if (m.vlan !== undefined) parts.push(`dl_vlan=${m.vlan}`);
  if (m.dlSrc !== undefined) parts.push(`dl_src=${m.dlSrc}`);
  if (m.dlDst !== undefined) parts.push(`dl_dst=${m.dlDst}`);
  const v6 = m.dlType === ETH_IPV6;
  if (m.nwSrc !== undefined) parts.push(`${v6 ? 'ipv6_src' : 'nw_src'}=${m.nwSrc}`);
  if (m.nwDst !== undefined) parts.push(`${v6 ? 'ipv6_dst' : 'nw_dst'}=${m.nwDst}`);
  if (m.tpSrc !== undefined) parts.push(`tp_src=${rangeText(m.tpSrc)}`);
  if (m.tpDst !== undefined) parts.push(`tp_dst=${rangeText(m.tpDst)}`);
  if (m.tcpFlags !== undefined) parts.push(`tcp_flags=${hex(m.tcpFlags.value, 3)}/${hex(m.tcpFlags.mask, 3)}`);
  if (m.nwFrag !== undefined) parts.push(`nw_frag=${m.nwFrag}`);
  parts.push(`actions=${s.actions.map(actionText).join(',')}`);
  return parts.join(',');
}
