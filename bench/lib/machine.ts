// SPDX-License-Identifier: Apache-2.0
// What the figures were measured on: cycle counts mean little without the
// CPU, its TSC rate and the DPDK release next to them.
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  tsc_ghz: number;
  dpdk: string;
  kernel: string;
}

export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    // fall through to what Node knows
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function describeMachine(tscHz: number, dpdkVersion: string): Machine {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    tsc_ghz: Math.round(tscHz / 1e6) / 1e3,
    dpdk: dpdkVersion,
    kernel: release(),
  };
}

export function machineLine(m: Machine, date: string): string {
  // No TSC rate when the bench had no cycle counter to read it from.
  const tsc = m.tsc_ghz > 0 ? `, TSC ${m.tsc_ghz.toFixed(3)} GHz` : '';
  return `machine: ${m.cpu}, ${m.cores} CPUs${tsc}, Linux ${m.kernel} | ${m.dpdk} | ${date}`;
}
