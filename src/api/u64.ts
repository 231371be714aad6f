// SPDX-License-Identifier: Apache-2.0
// uint64 onto the wire exactly. protobufjs writes 64-bit fields from decimal
// strings without a detour through doubles (see proto.ts), and clients read
// them back as decimal strings, as the proto3 JSON mapping has them.
export const u64 = (n: bigint): string => n.toString();

export const u64Map = (m: Record<string, bigint>): Record<string, string> =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.toString()]));
