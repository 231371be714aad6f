// SPDX-License-Identifier: Apache-2.0
// Locally administered unicast MACs for ports: <prefix>:xx:xx:xx, the
// first free index from the pool's start. Allocations live in the persisted
// port records, so a port keeps its MAC across restarts. Nodes joined by an
// overlay share networks but allocate alone: each daemon starts at its own
// random index (persisted with its state), so two nodes' pods collide only
// if their runs of addresses meet.
import { exhausted, invalid } from './errors.js';

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function normaliseMac(mac: string): string {
  const m = mac.trim().toLowerCase();
  if (!MAC_RE.test(m)) throw invalid(`MAC must look like 02:fa:57:00:00:01, got ${JSON.stringify(mac)}`);
  const first = parseInt(m.slice(0, 2), 16);
  if (first & 1) throw invalid(`MAC ${m} is a multicast address; a port needs a unicast MAC`);
  if (m === '00:00:00:00:00:00') throw invalid('MAC 00:00:00:00:00:00 is not a valid port address');
  return m;
}

export class MacPool {
  private readonly prefix: string;
  private readonly size: number;
  private readonly start: number;

  /** prefix: three octets, locally administered unicast (e.g. "02:fa:57");
   * start: the first index tried (1..size). */
  constructor(prefix: string, size = 0xffffff, start = 1) {
    const p = prefix.toLowerCase();
    if (!/^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/.test(p) || (parseInt(p.slice(0, 2), 16) & 3) !== 2) {
      throw invalid(`MAC prefix must be three octets of a locally administered unicast address, got ${prefix}`);
    }
    this.prefix = p;
    this.size = Math.min(size, 0xffffff);
    this.start = Number.isInteger(start) && start >= 1 && start <= this.size ? start : 1;
  }

  /** The first pool address from the start (wrapping) not in `used`. */
  allocate(used: ReadonlySet<string>): string {
    for (let k = 0; k < this.size; k++) {
      const mac = this.at(((this.start - 1 + k) % this.size) + 1);
      if (!used.has(mac)) return mac;
    }
    throw exhausted(`MAC pool ${this.prefix}:xx:xx:xx is exhausted (${this.size} addresses)`);
  }

  private at(i: number): string {
    const h = i.toString(16).padStart(6, '0');
    return `${this.prefix}:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
  }
}
