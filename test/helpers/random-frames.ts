// SPDX-License-Identifier: Apache-2.0
// Seeded random frames and rule sets for the differential test: Ethernet
// with and without 802.1Q, priority and 802.1ad tags; IPv4 with options and
// fragments; IPv6 with extension chains (some too long, some malformed),
// fragments; ARP and other types; truncations at every length; and "twins",
// copies of the frame before with one byte changed (or none), which is what
// the classifier's caches must tell apart. Every frame but a runt ends with
// an 8-byte marker ("FPT:" and its id) that survives truncation: the frame is
// cut first, then marked.
import { normaliseFlowSpec, type FlowSpec, type FlowSpecInput } from '../../src/core/flows/flow-spec.js';

/** mulberry32: small, fast, and the same sequence on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

export const DST_MACS = ['ff:ff:ff:ff:ff:ff', '02:aa:00:00:00:01', '02:aa:00:00:00:02', '33:33:00:00:00:01'] as const;
export const SRC_MACS = ['02:bb:00:00:00:01', '02:bb:00:00:01:02', '02:cc:00:00:00:03'] as const;
const IP4 = ['10.0.0.1', '10.0.0.2', '10.1.2.3', '192.168.1.1'] as const;
const IP6 = ['fd00::1', 'fd00::2', 'fd00:1::5', '2001:db8::1'] as const;
const PORTS = [22, 53, 80, 443, 8080, 1000] as const;
const L4_PROTOS = [6, 6, 17, 17, 132, 1, 47] as const;
const L6_PROTOS = [6, 6, 17, 132, 58, 50, 59] as const;

const MARK = Buffer.from('FPT:');

export function markerOf(f: Buffer): number | undefined {
  return f.length >= 8 && f.subarray(f.length - 8, f.length - 4).equals(MARK) ? f.readUInt32BE(f.length - 4) : undefined;
}

function mac(s: string): Buffer {
  return Buffer.from(s.split(':').map((x) => parseInt(x, 16)));
}

function ip4(s: string): Buffer {
  return Buffer.from(s.split('.').map(Number));
}

function ip6(s: string): Buffer {
  const [h, t] = s.split('::');
  const hs = h ? h.split(':') : [];
  const ts = t ? t.split(':') : [];
  const g = [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  const b = Buffer.alloc(16);
  g.forEach((x, i) => b.writeUInt16BE(parseInt(x, 16), 2 * i));
  return b;
}

function l4(r: Rand, proto: number): Buffer {
  const len = proto === 6 ? 20 : proto === 17 ? 8 : proto === 132 ? 12 : 8;
  const b = Buffer.alloc(len + int(r, 0, 24));
  for (let i = 0; i < b.length; i++) b[i] = int(r, 0, 255);
  b.writeUInt16BE(pick(r, PORTS), 0);
  b.writeUInt16BE(r() < 0.7 ? pick(r, PORTS) : int(r, 0, 65535), 2);
  if (proto === 6) {
    b[12] = 0x50 | int(r, 0, 15);
    b[13] = pick(r, [0x02, 0x12, 0x10, 0x11, 0x04, int(r, 0, 255)]);
  }
  return b;
}

function ipv4(r: Rand): Buffer {
  const opt = r() < 0.4 ? 4 * int(r, 1, 10) : 0;
  const h = Buffer.alloc(20 + opt, 1); // options: NOPs
  const proto = pick(r, L4_PROTOS);
  h[0] = 0x40 | ((20 + opt) / 4);
  h[8] = 64;
  h[9] = proto;
  const frag = r();
  if (frag < 0.1) h.writeUInt16BE(0x2000, 6); // first fragment (MF)
  else if (frag < 0.2) h.writeUInt16BE((r() < 0.5 ? 0x2000 : 0) | int(r, 1, 8191), 6); // later
  ip4(pick(r, IP4)).copy(h, 12);
  ip4(pick(r, IP4)).copy(h, 16);
  return Buffer.concat([Buffer.from([0x08, 0x00]), h, l4(r, proto)]);
}

function ipv6(r: Rand): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h[7] = 64;
  ip6(pick(r, IP6)).copy(h, 8);
  ip6(pick(r, IP6)).copy(h, 24);
  const chain: Buffer[] = [];
  const n = r() < 0.5 ? 0 : int(r, 1, 10);
  const types: number[] = [];
  for (let i = 0; i < n; i++) types.push(pick(r, [0, 43, 60, 60, 44, 51]));
  const proto = pick(r, L6_PROTOS);
  types.push(proto);
  h[6] = types[0]!;
  for (let i = 0; i < n; i++) {
    const t = types[i]!;
    let e: Buffer;
    if (t === 44) {
      e = Buffer.alloc(8);
      const which = r();
      if (which < 0.4) e.writeUInt16BE(1, 2); // first (M)
      else if (which < 0.8) e.writeUInt16BE(int(r, 1, 8191) << 3 | (r() < 0.5 ? 1 : 0), 2); // later
    } else if (t === 51) {
      const units = int(r, 1, 3);
      e = Buffer.alloc((units + 2) * 4);
      e[1] = r() < 0.05 ? 250 : units; // sometimes a length past the end
    } else {
      const units = int(r, 0, 2);
      e = Buffer.alloc((units + 1) * 8);
      e[1] = r() < 0.05 ? 250 : units;
    }
    e[0] = types[i + 1]!;
    chain.push(e);
  }
  return Buffer.concat([Buffer.from([0x86, 0xdd]), h, ...chain, l4(r, proto)]);
}

function l3(r: Rand): Buffer {
  const k = r();
  if (k < 0.4) return ipv4(r);
  if (k < 0.8) return ipv6(r);
  if (k < 0.87) { // ARP request
    const a = Buffer.alloc(30);
    a.writeUInt16BE(0x0806, 0);
    a.writeUInt16BE(1, 2); a.writeUInt16BE(0x0800, 4); a[6] = 6; a[7] = 4; a.writeUInt16BE(1, 8);
    return a;
  }
  if (k < 0.93) return Buffer.concat([Buffer.from([0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14]), ipv4(r)]); // QinQ
  const o = Buffer.alloc(int(r, 2, 40));
  o.writeUInt16BE(pick(r, [0x88b5, 0x0806, 0x0800, 0x86dd, 0x9100]), 0);
  return o;
}

function tag(r: Rand): Buffer {
  const k = r();
  if (k < 0.6) return Buffer.alloc(0);
  const vid = pick(r, [0, 0, 10, 20, 4095, int(r, 1, 4094)]);
  const t = Buffer.alloc(4);
  t.writeUInt16BE(0x8100, 0);
  t.writeUInt16BE(int(r, 0, 7) << 13 | vid, 2);
  return t;
}

/** Frames with ids from `firstId`; twins make up about a third. */
export function randomFrames(seed: number, n: number, firstId: number): Buffer[] {
  const r = rng(seed);
  const out: Buffer[] = [];
  let prev: Buffer | undefined;
  for (let i = 0; i < n; i++) {
    const id = firstId + i;
    const marker = Buffer.concat([MARK, Buffer.alloc(4)]);
    marker.writeUInt32BE(id, 4);
    if (r() < 0.03) { // a runt, unmarked: it only counts as a drop
      out.push(Buffer.alloc(int(r, 1, 13), 0xee));
      continue;
    }
    let body: Buffer;
    if (prev && r() < 0.33) {
      body = Buffer.from(prev);
      if (r() < 0.7) {
        const at = int(r, 0, body.length - 1);
        body[at] = body[at]! ^ (1 << int(r, 0, 7));
      }
    } else {
      body = Buffer.concat([mac(pick(r, DST_MACS)), mac(pick(r, SRC_MACS)), tag(r), l3(r)]);
      if (r() < 0.25) body = body.subarray(0, int(r, 6, body.length)); // cut anywhere
    }
    prev = body;
    out.push(Buffer.concat([body, marker]));
  }
  return out;
}

/** A random rule (prerequisites met) with the given priority and action. */
function randomRule(r: Rand, priority: number, ports: readonly string[], inPorts: readonly string[]): FlowSpec | undefined {
  const m: NonNullable<FlowSpecInput['match']> = {};
  const fields = int(r, 1, 4);
  const v = r() < 0.5 ? 4 : 6;
  for (let i = 0; i < fields; i++) {
    switch (pick(r, ['in_port', 'dl_dst', 'dl_src', 'vlan', 'l3', 'l3', 'l4', 'l4', 'frag'])) {
      case 'in_port': m.inPort = pick(r, inPorts); break;
      case 'dl_dst': m.dlDst = r() < 0.7 ? pick(r, DST_MACS) : `${pick(r, DST_MACS)}/ff:ff:00:00:00:00`; break;
      case 'dl_src': m.dlSrc = r() < 0.5 ? pick(r, SRC_MACS) : `${pick(r, SRC_MACS)}/ff:ff:ff:00:00:00`; break;
      case 'vlan': m.vlan = pick(r, [0, 10, 20]); break;
      case 'l3':
        m.dlType = r() < 0.9 ? (v === 4 ? 0x0800 : 0x86dd) : pick(r, [0x0806, 0x88a8, 0x88b5]);
        if (m.dlType === 0x0800 || m.dlType === 0x86dd) {
          const pool = v === 4 ? IP4 : IP6;
          const len = v === 4 ? pick(r, [8, 16, 24, 32]) : pick(r, [16, 64, 128]);
          if (r() < 0.5) m.nwSrc = `${pick(r, pool)}/${len}`;
          else m.nwDst = `${pick(r, pool)}/${len}`;
        }
        break;
      case 'l4':
        m.dlType = v === 4 ? 0x0800 : 0x86dd;
        m.nwProto = pick(r, v === 4 ? [6, 17, 132, 1] : [6, 17, 132, 58, 60]);
        if (m.nwProto === 6 || m.nwProto === 17 || m.nwProto === 132) {
          const p = pick(r, PORTS);
          const range = r() < 0.3 ? { lo: p, hi: p + int(r, 1, 500) } : { lo: p, hi: p };
          if (r() < 0.5) m.tpDst = range;
          else m.tpSrc = range;
          if (m.nwProto === 6 && r() < 0.3) m.tcpFlags = pick(r, [{ value: 2, mask: 2 }, { value: 0, mask: 0x10 }, { value: 0x12, mask: 0x12 }]);
        }
        break;
      case 'frag':
        m.dlType = v === 4 ? 0x0800 : 0x86dd;
        m.nwFrag = pick(r, ['no', 'yes', 'first', 'later', 'not_later']);
        break;
    }
  }
  const action = r() < 0.8 ? { type: 'output', port: pick(r, ports) } : { type: 'drop' };
  try {
    return normaliseFlowSpec({ priority, match: m, actions: [action] });
  } catch {
    return undefined; // an impossible combination (nw_frag=later with ports, ...): draw again
  }
}

/** n rules with distinct priorities (ties may go either way, so none). */
export function randomRules(seed: number, n: number, ports: readonly string[], inPorts: readonly string[]): FlowSpec[] {
  const r = rng(seed);
  const out: FlowSpec[] = [];
  const prios = new Set<number>();
  while (out.length < n) {
    let p = int(r, 1, 60000);
    while (prios.has(p)) p++;
    const rule = randomRule(r, p, ports, inPorts);
    if (!rule) continue;
    prios.add(p);
    out.push(rule);
  }
  return out;
}
