// SPDX-License-Identifier: Apache-2.0
// Hand-built test frames and pcap files. Frames carry a marker ("FPT:" and
// a 32-bit id) in their payload, so a test can tell exactly which frames
// reached which container. Checksums are left zero: nothing on the path
// verifies them.
import { readFileSync, writeFileSync } from 'node:fs';

import { macBytes, parsePrefix } from '../../src/core/flows/addr.js';

const MARK = Buffer.from('FPT:');

/** Address bytes, parsed as flow rules parse them (src/core/flows/addr.ts). */
function macBuf(mac: string): Buffer {
  return Buffer.from(macBytes(mac));
}

function ipBuf(a: string): Buffer {
  return Buffer.from(parsePrefix(a).bytes); // a bare address is a full-length prefix: all bytes kept
}

export function marker(id: number): Buffer {
  const b = Buffer.alloc(8);
  MARK.copy(b);
  b.writeUInt32BE(id, 4);
  return b;
}

/** The marker id in a frame, or undefined. */
export function markerOf(frame: Buffer): number | undefined {
  const at = frame.indexOf(MARK);
  return at < 0 || at + 8 > frame.length ? undefined : frame.readUInt32BE(at + 4);
}

export interface L4 { proto: number; sport?: number; dport?: number; tcpFlags?: number }

function l4(h: L4, payload: Buffer): Buffer {
  if (h.proto === 6) {
    const b = Buffer.alloc(20);
    b.writeUInt16BE(h.sport ?? 0, 0); b.writeUInt16BE(h.dport ?? 0, 2);
    b[12] = 0x50 | ((h.tcpFlags ?? 0) >> 8); b[13] = (h.tcpFlags ?? 0) & 0xff;
    return Buffer.concat([b, payload]);
  }
  if (h.proto === 17 || h.proto === 132) {
    const b = Buffer.alloc(8);
    b.writeUInt16BE(h.sport ?? 0, 0); b.writeUInt16BE(h.dport ?? 0, 2);
    b.writeUInt16BE(8 + payload.length, 4);
    return Buffer.concat([b, payload]);
  }
  return payload;
}

export interface IpSpec extends L4 {
  v: 4 | 6;
  src: string;
  dst: string;
  /** IPv4: bytes of options (NOPs), a multiple of 4 up to 40. */
  options?: number;
  /** IPv6: extension headers before the transport header, 8 bytes each
   * (44 is a fragment header, with `frag`). */
  ext?: number[];
  /** A fragment: its offset (8-byte units) and whether more follow. */
  frag?: { offset: number; more: boolean };
  /** ICMPv6 (proto 58): type and, for neighbour discovery, the target. */
  icmp6?: { type: number; target?: string };
}

export interface FrameSpec {
  id: number;
  dst: string;
  src: string;
  /** A VLAN tag (VLAN id; 0: a priority tag) when set. */
  vlan?: number;
  /** Its TPID (default 0x8100; 0x88a8 for an 802.1ad tag) and priority bits. */
  tpid?: number;
  pcp?: number;
  /** Ethertype when there is no IP header (default 0x88b5, local experimental). */
  type?: number;
  ip?: IpSpec;
  /** An ARP request from senderMac/senderIp. */
  arp?: { senderMac: string; senderIp: string; targetIp: string };
  /** Pad the frame to this many bytes (default 60). */
  size?: number;
}

function icmp6(h: NonNullable<IpSpec['icmp6']>, payload: Buffer): Buffer {
  const b = Buffer.alloc(24);
  b[0] = h.type;
  if (h.target) ipBuf(h.target).copy(b, 8);
  return Buffer.concat([b, payload]);
}

function fragBits(f: IpSpec['frag']): number {
  return f ? (f.offset << 3) | (f.more ? 1 : 0) : 0;
}

export function frame(f: FrameSpec): Buffer {
  const parts: Buffer[] = [macBuf(f.dst), macBuf(f.src)];
  if (f.vlan !== undefined) {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(f.tpid ?? 0x8100, 0); t.writeUInt16BE(((f.pcp ?? 0) << 13) | (f.vlan & 0xfff), 2);
    parts.push(t);
  }
  const payload = marker(f.id);
  if (f.ip?.v === 4) {
    const body = l4(f.ip, payload);
    const opt = f.ip.options ?? 0;
    const h = Buffer.alloc(20 + opt, 1); // options: NOPs
    h[0] = 0x40 | ((20 + opt) / 4); h[1] = 0; h.writeUInt16BE(20 + opt + body.length, 2); h.writeUInt16BE(0, 4);
    h.writeUInt16BE(f.ip.frag ? (f.ip.frag.more ? 0x2000 : 0) | f.ip.frag.offset : 0, 6);
    h[8] = 64; h[9] = f.ip.proto; h.writeUInt16BE(0, 10);
    ipBuf(f.ip.src).copy(h, 12); ipBuf(f.ip.dst).copy(h, 16);
    parts.push(Buffer.from([0x08, 0x00]), h, body);
  } else if (f.ip?.v === 6) {
    const body = f.ip.icmp6 ? icmp6(f.ip.icmp6, payload) : l4(f.ip, payload);
    const types = [...(f.ip.ext ?? []), f.ip.proto];
    const ext = (f.ip.ext ?? []).map((t, i) => {
      const e = Buffer.alloc(8);
      e[0] = types[i + 1]!;
      if (t === 44) e.writeUInt16BE(fragBits(f.ip!.frag), 2);
      return e;
    });
    const h = Buffer.alloc(40);
    h[0] = 0x60; h.writeUInt16BE(8 * ext.length + body.length, 4); h[6] = types[0]!; h[7] = 255;
    ipBuf(f.ip.src).copy(h, 8); ipBuf(f.ip.dst).copy(h, 24);
    parts.push(Buffer.from([0x86, 0xdd]), h, ...ext, body);
  } else if (f.arp) {
    const a = Buffer.alloc(28);
    a.writeUInt16BE(1, 0); a.writeUInt16BE(0x0800, 2); a[4] = 6; a[5] = 4; a.writeUInt16BE(1, 6);
    macBuf(f.arp.senderMac).copy(a, 8); ipBuf(f.arp.senderIp).copy(a, 14); ipBuf(f.arp.targetIp).copy(a, 24);
    parts.push(Buffer.from([0x08, 0x06]), a, payload);
  } else {
    const t = Buffer.alloc(2);
    t.writeUInt16BE(f.type ?? 0x88b5, 0);
    parts.push(t, payload);
  }
  const out = Buffer.concat(parts);
  const size = f.size ?? 60;
  return out.length >= size ? out : Buffer.concat([out, Buffer.alloc(size - out.length)]);
}

/** Classic pcap (microsecond timestamps, Ethernet link type). */
export function writePcap(path: string, frames: Buffer[]): void {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0); head.writeUInt16LE(2, 4); head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16); head.writeUInt32LE(1, 20);
  const recs = frames.map((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(i, 4); r.writeUInt32LE(f.length, 8); r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  writeFileSync(path, Buffer.concat([head, ...recs]));
}

export function readPcap(path: string): Buffer[] {
  const b = readFileSync(path);
  if (b.length < 24) return [];
  const nano = b.readUInt32LE(0) === 0xa1b23c4d;
  if (!nano && b.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${path}: not a little-endian pcap file`);
  const out: Buffer[] = [];
  for (let at = 24; at + 16 <= b.length;) {
    const len = b.readUInt32LE(at + 8);
    out.push(b.subarray(at + 16, at + 16 + len));
    at += 16 + len;
  }
  return out;
}
