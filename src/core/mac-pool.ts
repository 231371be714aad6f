// SPDX-License-Identifier: Apache-2.0
// Locally administered unicast MACs for ports: <prefix>:xx:xx:xx, the
// lowest free index first. Allocations live in the persisted port records,
// so a port keeps its MAC across restarts.
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

  /** prefix: three octets, locally administered unicast (e.g. "02:fa:57"). */
  constructor(prefix: string, size = 0xffffff) {
    const p = prefix.toLowerCase();
    if (!/^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/.test(p) || (parseInt(p.slice(0, 2), 16) & 3) !== 2) {
      throw invalid(`MAC prefix must be three octets of a locally administered unicast address, got ${prefix}`);
    }
    this.prefix = p;
    this.size = Math.min(size, 0xffffff);
  }

  /** The lowest pool address not in `used`. */
  allocate(used: ReadonlySet<string>): string {
    for (let i = 1; i <= this.size; i++) {
      const mac = this.at(i);
      if (!used.has(mac)) return mac;
    }
    throw exhausted(`MAC pool ${this.prefix}:xx:xx:xx is exhausted (${this.size} addresses)`);
  }

  private at(i: number): string {
    const h = i.toString(16).padStart(6, '0');
    return `${this.prefix}:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
  }
}
