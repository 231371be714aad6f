// SPDX-License-Identifier: Apache-2.0
// Test frames for TRex streams: Ethernet / IPv4 / UDP, padded to the size on
// the wire minus the 4-byte FCS the NIC (or here memif's peer) accounts
// for: a "64-byte" frame is 60 bytes of stream packet, as in TRex's own
// profiles (`size = fsize - 4`).

export interface FrameSpec {
  /** Size on the wire, FCS included (64..9018). */
  wireSize: number;
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
}

export const FCS_BYTES = 4;
export const ETH_HLEN = 14;
/** Offset of the UDP source port in the frame: where the field engine writes. */
export const UDP_SPORT_OFFSET = ETH_HLEN + 20;

function mac(s: string): Buffer {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`bad MAC ${s}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

function ip(s: string): Buffer {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address ${s}`);
  return Buffer.from(parts);
}

/** RFC 1071 one's-complement sum over the IPv4 header. */
export function ipv4Checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function udpFrame(f: FrameSpec): Buffer {
  const len = f.wireSize - FCS_BYTES;
  if (!Number.isInteger(f.wireSize) || f.wireSize < 64 || f.wireSize > 9018) throw new Error(`frame size ${f.wireSize} out of 64..9018`);
  const b = Buffer.alloc(len, 'x');
  mac(f.dstMac).copy(b, 0);
  mac(f.srcMac).copy(b, 6);
  b.writeUInt16BE(0x0800, 12);
  const ipLen = len - ETH_HLEN;
  const h = b.subarray(ETH_HLEN, ETH_HLEN + 20);
  h.writeUInt8(0x45, 0); // version 4, 5 words
  h.writeUInt8(0, 1);
  h.writeUInt16BE(ipLen, 2);
  h.writeUInt16BE(1, 4); // id
  h.writeUInt16BE(0, 6); // no fragmentation
  h.writeUInt8(64, 8); // ttl
  h.writeUInt8(17, 9); // UDP
  h.writeUInt16BE(0, 10);
  ip(f.srcIp).copy(h, 12);
  ip(f.dstIp).copy(h, 16);
  h.writeUInt16BE(ipv4Checksum(h), 10);
  const u = ETH_HLEN + 20;
  b.writeUInt16BE(f.srcPort, u);
  b.writeUInt16BE(f.dstPort, u + 2);
  b.writeUInt16BE(ipLen - 20, u + 4);
  // Checksum 0: "none" in IPv4, so the field engine may rewrite the ports
  // without a checksum fix-up per packet.
  b.writeUInt16BE(0, u + 6);
  return b;
}
