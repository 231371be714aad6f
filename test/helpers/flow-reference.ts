// SPDX-License-Identifier: Apache-2.0
// A reference for what the switch does with a frame on a network with a flow
// table, written from the documented semantics (proto/README.md: Switching behaviour,
// Flow rules, Tenant isolation), not from the C code: the differential test
// (test/e2e/flow-differential.test.ts) sends random frames through the real
// data plane and compares every frame's fate with this.
//
// Scope: ingress checks (runts, VLANs, access ports), the classifier key,
// rule matching by priority, the actions the random rule sets use (output to
// one port, drop) with the table miss set to drop, and egress VLAN fix-up to
// trunk ports. No learning decides anything here: every frame's fate is a
// rule's or the miss's.
import { macBytes, parsePrefix } from '../../src/core/flows/addr.js';
import type { FlowSpec } from '../../src/core/flows/flow-spec.js';

export const MAX_EXT_HDRS = 8;
const EXT = new Set([0, 43, 44, 51, 60, 135, 139, 140]);

export interface RefPort {
  name: string;
  /** 0: trunk; else access port of this VLAN. */
  vlan: number;
}

export interface RefKey {
  inPort: string;
  dlDst: Buffer;
  dlSrc: Buffer;
  vid: number;
  dlType: number;
  ipv?: 4 | 6;
  nwSrc?: Buffer;
  nwDst?: Buffer;
  proto: number;
  frag: boolean;
  later: boolean;
  /** The transport header was read: tp/tcpFlags are the frame's. */
  l4: boolean;
  tpSrc: number;
  tpDst: number;
  tcpFlags: number;
}

export type Fate =
  | { kind: 'out'; port: string; frame: Buffer; rule: number }
  | { kind: 'drop'; reason: 'runt' | 'vlan' | 'flow'; rule?: number };

const u16 = (b: Buffer, at: number): number => b.readUInt16BE(at);
const isTpid = (t: number): boolean => t === 0x8100 || t === 0x88a8 || t === 0x9100;

/** Bytes a transport header must have before its ports count. */
function l4Min(proto: number): number {
  return proto === 6 ? 20 : proto === 17 ? 8 : proto === 132 ? 12 : 0;
}

function readL4(k: RefKey, f: Buffer, off: number): void {
  const need = l4Min(k.proto);
  if (need === 0 || off + need > f.length) return;
  k.tpSrc = u16(f, off);
  k.tpDst = u16(f, off + 2);
  if (k.proto === 6) k.tcpFlags = ((f[off + 12]! & 0x0f) << 8) | f[off + 13]!;
  k.l4 = true;
}

/** The key of frame f (after ingress), hdr: 14 or 18. */
export function refKey(f: Buffer, inPort: string, vid: number, tagged: boolean): RefKey {
  const hdr = tagged ? 18 : 14;
  const k: RefKey = {
    inPort, dlDst: f.subarray(0, 6), dlSrc: f.subarray(6, 12), vid, dlType: u16(f, hdr - 2),
    proto: 0, frag: false, later: false, l4: false, tpSrc: 0, tpDst: 0, tcpFlags: 0,
  };
  const l3 = hdr;
  if (k.dlType === 0x0800 && f.length >= l3 + 20) {
    const ihl = (f[l3]! & 0x0f) * 4;
    if (f[l3]! >> 4 !== 4 || ihl < 20 || l3 + ihl > f.length) return k;
    k.ipv = 4;
    k.proto = f[l3 + 9]!;
    k.nwSrc = f.subarray(l3 + 12, l3 + 16);
    k.nwDst = f.subarray(l3 + 16, l3 + 20);
    const mf = (f[l3 + 6]! & 0x20) !== 0;
    const offset = ((f[l3 + 6]! & 0x1f) << 8) | f[l3 + 7]!;
    k.frag = mf || offset !== 0;
    k.later = offset !== 0;
    if (!k.later) readL4(k, f, l3 + ihl);
  } else if (k.dlType === 0x86dd && f.length >= l3 + 40) {
    if (f[l3]! >> 4 !== 6) return k;
    k.ipv = 6;
    k.nwSrc = f.subarray(l3 + 8, l3 + 24);
    k.nwDst = f.subarray(l3 + 24, l3 + 40);
    let next = f[l3 + 6]!;
    let off = l3 + 40;
    for (let n = 0; ; n++) {
      k.proto = next;
      if (!EXT.has(next)) {
        readL4(k, f, off);
        return k;
      }
      if (n === MAX_EXT_HDRS || off + 8 > f.length) return k;
      if (next === 44) {
        const fo = (f[off + 2]! << 5) | (f[off + 3]! >> 3);
        if (fo !== 0 || (f[off + 3]! & 1)) k.frag = true;
        next = f[off]!;
        off += 8;
        if (fo !== 0) {
          k.later = true;
          k.proto = next;
          return k;
        }
        continue;
      }
      const len = next === 51 ? (f[off + 1]! + 2) * 4 : (f[off + 1]! + 1) * 8;
      next = f[off]!;
      off += len;
      if (off > f.length) return k;
    }
  }
  return k;
}

function macMatch(have: Buffer, want: string): boolean {
  const [mac, mask] = want.split('/');
  const m = macBytes(mac!);
  const k = mask ? macBytes(mask) : Uint8Array.from([255, 255, 255, 255, 255, 255]);
  return have.every((b, i) => (b & k[i]!) === (m[i]! & k[i]!));
}

function prefixMatch(have: Buffer | undefined, want: string): boolean {
  if (!have) return false;
  const p = parsePrefix(want);
  if (have.length !== p.bytes.length) return false;
  for (let i = 0; i < p.bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, p.len - 8 * i));
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((have[i]! & mask) !== p.bytes[i]) return false;
  }
  return true;
}

export function refMatches(r: FlowSpec, k: RefKey): boolean {
  const m = r.match;
  if (m.inPort !== undefined && m.inPort !== k.inPort) return false;
  if (m.dlSrc !== undefined && !macMatch(k.dlSrc, m.dlSrc)) return false;
  if (m.dlDst !== undefined && !macMatch(k.dlDst, m.dlDst)) return false;
  if (m.vlan !== undefined && m.vlan !== k.vid) return false;
  if (m.dlType !== undefined && m.dlType !== k.dlType) return false;
  if (m.nwSrc !== undefined && !prefixMatch(k.nwSrc, m.nwSrc)) return false;
  if (m.nwDst !== undefined && !prefixMatch(k.nwDst, m.nwDst)) return false;
  if (m.nwProto !== undefined && m.nwProto !== k.proto) return false;
  const needL4 = m.tpSrc !== undefined || m.tpDst !== undefined || m.tcpFlags !== undefined;
  if (needL4 && !k.l4) return false;
  if (m.tpSrc !== undefined && (k.tpSrc < m.tpSrc.lo || k.tpSrc > m.tpSrc.hi)) return false;
  if (m.tpDst !== undefined && (k.tpDst < m.tpDst.lo || k.tpDst > m.tpDst.hi)) return false;
  if (m.tcpFlags !== undefined && (k.tcpFlags & m.tcpFlags.mask) !== m.tcpFlags.value) return false;
  switch (m.nwFrag) {
    case 'no': return !k.frag;
    case 'yes': return k.frag;
    case 'first': return k.frag && !k.later;
    case 'later': return k.later;
    case 'not_later': return !k.later;
    default: return true;
  }
}

/**
 * What the switch does with frame `sent` arriving on port `from`, given the
 * rules (each with an id, priorities all distinct), the table miss being
 * drop, and the output ports being trunks.
 */
export function refFate(sent: Buffer, from: RefPort, rules: Array<{ id: number; spec: FlowSpec }>): Fate {
  const f = Buffer.from(sent);
  if (f.length < 14) return { kind: 'drop', reason: 'runt' };
  const tagged = u16(f, 12) === 0x8100;
  if (tagged && f.length < 18) return { kind: 'drop', reason: 'runt' };
  let vid = tagged ? u16(f, 14) & 0xfff : 0;
  if (vid === 0xfff) return { kind: 'drop', reason: 'runt' };
  if (from.vlan !== 0) {
    if (!tagged) {
      if (isTpid(u16(f, 12))) return { kind: 'drop', reason: 'vlan' };
    } else {
      if (vid !== 0 || isTpid(u16(f, 16))) return { kind: 'drop', reason: 'vlan' };
      f.writeUInt16BE((f[14]! & 0xf0) << 8 | from.vlan, 14); // priority tag: the port's VLAN
    }
    vid = from.vlan;
  }
  const key = refKey(f, from.name, vid, tagged);
  let best: { id: number; spec: FlowSpec } | undefined;
  for (const r of rules) {
    if (refMatches(r.spec, key) && (!best || r.spec.priority > best.spec.priority)) best = r;
  }
  if (!best) return { kind: 'drop', reason: 'flow', rule: 0 };
  const act = best.spec.actions.find((a) => a.type === 'output' || a.type === 'drop')!;
  if (act.type === 'drop') return { kind: 'drop', reason: 'flow', rule: best.id };
  // Egress to a trunk: a frame of a VLAN that came in untagged gets the tag.
  let out = f;
  if (vid !== 0 && !tagged) {
    const tag = Buffer.alloc(4);
    tag.writeUInt16BE(0x8100, 0);
    tag.writeUInt16BE(vid, 2);
    out = Buffer.concat([f.subarray(0, 12), tag, f.subarray(12)]);
  }
  return { kind: 'out', port: act.port!, frame: out, rule: best.id };
}
