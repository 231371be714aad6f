// SPDX-License-Identifier: Apache-2.0
// Pure formatting of API values for people. JSON output never goes through
// here: scripts get the API's own values, untouched.
import type { PortEvent__Output } from '../api/gen/fastpath/v1/PortEvent.js';
import type { PortMode__Output } from '../api/gen/fastpath/v1/PortMode.js';

/** File modes as people write them: 0660, not 432. */
export function formatMode(mode: number): string {
  return `0${mode.toString(8)}`;
}

/** Virtio feature bits in hex, as the virtio spec and DPDK logs print them. */
/** 64-bit fields arrive as decimal strings (exact past 2^53). */
export function formatFeatures(features: string): string {
  return `0x${BigInt(features).toString(16)}`;
}

export function modeName(mode: PortMode__Output): 'server' | 'client' {
  return mode === 'PORT_MODE_CLIENT' ? 'client' : 'server';
}

/** A network's VLAN: 0 leaves its ports as trunks (tags pass through). */
export function vlanName(vlan: number): string {
  return vlan === 0 ? 'trunk' : String(vlan);
}

/** A port's VLAN: 0 means "whatever its network says". */
export function portVlanName(vlan: number, long = false): string {
  if (vlan !== 0) return String(vlan);
  return long ? "the network's" : '-';
}

export function totalDrops(drops: Record<string, string>): bigint {
  return Object.values(drops).reduce((a, b) => a + BigInt(b), 0n);
}

/** Only the reasons that happened, e.g. "no_dest=3 link_down=1"; "-" if none. */
export function dropReasons(drops: Record<string, string>): string {
  const seen = Object.entries(drops).filter(([, n]) => BigInt(n) > 0n);
  return seen.length === 0 ? '-' : seen.map(([k, n]) => `${k}=${n}`).join(' ');
}

export function formatDuration(seconds: number): string {
  let s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s}s`].filter(Boolean);
  return parts.join(' ');
}

export function formatFixed(n: number, digits = 1): string {
  return n.toFixed(digits);
}

/** "PORT_EVENT_TYPE_QUEUE_STATE" -> "queue-state". */
export function eventName(type: PortEvent__Output['type']): string {
  return String(type).replace(/^PORT_EVENT_TYPE_/, '').toLowerCase().replace(/_/g, '-');
}

function eventDetails(e: PortEvent__Output): string {
  switch (e.type) {
    case 'PORT_EVENT_TYPE_CONNECTED':
      return `features=${formatFeatures(e.features)} queue_pairs=${e.queuePairs}`;
    case 'PORT_EVENT_TYPE_QUEUE_STATE':
      // Even vrings carry frames to the guest, odd ones from it.
      return `vring=${e.vring} (${e.vring % 2 === 0 ? 'to guest' : 'from guest'}) ${e.enabled ? 'enabled' : 'disabled'}`;
    case 'PORT_EVENT_TYPE_DISCONNECTED':
      return e.reason ? `reason="${e.reason}"` : '';
    default:
      return '';
  }
}

/**
 * One line per event: time, port, event, details. A stream has no end to
 * measure column widths against, so the columns have fixed minimum widths.
 */
export function formatEventLine(e: PortEvent__Output): string {
  const time = new Date(Number(e.timeMs)).toISOString();
  return `${time}  ${e.port.padEnd(15)}  ${eventName(e.type).padEnd(12)}  ${eventDetails(e)}`.trimEnd();
}

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Joins arguments into one line a POSIX shell splits back into the same words. */
export function shellJoin(args: string[]): string {
  return args.map((a) => (SHELL_SAFE.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
