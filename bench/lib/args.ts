// SPDX-License-Identifier: Apache-2.0
// Command-line options of the loop bench.

// fastpath-acl100 / -acl10k: fastpath with a 100 / 10,000-rule flow table
// that the traffic classifies against (bench/lib/flow-rules.ts).
// fastpath-mq2: fastpath with 2 queue pairs per port (the guest uses both,
// with many flows), still one worker: what multiqueue costs.
export const ALL_SWITCHES = ['fastpath', 'fastpath-acl100', 'fastpath-acl10k', 'fastpath-mq2', 'testpmd-io', 'ovs-dpdk'] as const;
export type SwitchName = (typeof ALL_SWITCHES)[number];
export const ALL_RINGS = ['split', 'packed'] as const;
export type RingLayout = (typeof ALL_RINGS)[number];
/** Frame sizes the guest may inject (testpmd --txpkts, FCS not included). */
export const SIZE_RANGE = [64, 1500] as const;

export interface LoopOptions {
  /** Length of each measurement window, seconds. */
  seconds: number;
  /** Rounds; each runs one trial of each switch, back to back. */
  trials: number;
  /** Traffic runs this long before the window opens (MAC learning, caches). */
  warmup: number;
  /** `start tx_first <bursts>`: bursts of 32 frames injected per guest port. */
  bursts: number;
  /** Switches to measure; undefined: all three when OVS-DPDK is installed, else fastpath and testpmd-io. */
  switches: SwitchName[] | undefined;
  /** apt-get install openvswitch-switch-dpdk when it is missing. */
  installOvs: boolean;
  /** Frame sizes, bytes; each is a cell of the matrix. */
  sizes: number[];
  /** Virtqueue layouts the guest asks for (packed: virtio_user packed_vq=1). */
  rings: RingLayout[];
}

type NumericOption = 'seconds' | 'trials' | 'warmup' | 'bursts';

export const USAGE = `usage: npm run bench:loop -- [--seconds N] [--trials N] [--warmup N] [--bursts N]
                            [--switches LIST] [--sizes LIST] [--rings LIST] [--install-ovs]
  --seconds N      measurement window per trial, seconds (default 5)
  --trials N       trials per switch, alternating between the switches;
                   min/median/max are reported (default 3)
  --warmup N       seconds of traffic before each window (default 2)
  --bursts N       bursts of 32 frames each guest port injects (tx_first N, default 8)
  --switches LIST  comma-separated, from ${ALL_SWITCHES.join(',')}; fastpath is
                   required (default: all three if ovs-vswitchd-dpdk is installed,
                   else fastpath,testpmd-io)
  --sizes LIST     frame sizes in bytes, ${SIZE_RANGE[0]}..${SIZE_RANGE[1]} (default 64,1500)
  --rings LIST     virtqueue layouts, from ${ALL_RINGS.join(',')} (default both)
  --install-ovs    apt-get install -y openvswitch-switch-dpdk if it is missing`;

export function parseArgs(argv: string[]): LoopOptions | 'help' {
  const o: LoopOptions = {
    seconds: 5, trials: 3, warmup: 2, bursts: 8, switches: undefined, installOvs: false, sizes: [64, 1500], rings: [...ALL_RINGS],
  };
  const limits: Record<NumericOption, [number, number, boolean]> = {
    seconds: [1, 3600, true],
    trials: [1, 100, true],
    warmup: [0, 600, false],
    bursts: [1, 64, true],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--install-ovs') {
      o.installOvs = true;
      continue;
    }
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    const key = m?.[1];
    if (!m || key === undefined || !(key in limits || ['switches', 'sizes', 'rings'].includes(key))) throw new Error(`unknown option ${arg}\n${USAGE}`);
    const raw = m[2] ?? argv[++i];
    if (raw === undefined) throw new Error(`--${key} needs a value\n${USAGE}`);
    if (key === 'sizes') {
      const sizes = raw.split(',').map((x) => Number(x.trim()));
      if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < SIZE_RANGE[0] || n > SIZE_RANGE[1])) {
        throw new Error(`--sizes: integers in ${SIZE_RANGE[0]}..${SIZE_RANGE[1]}, got ${raw}`);
      }
      o.sizes = [...new Set(sizes)];
      continue;
    }
    if (key === 'rings') {
      const rings = raw.split(',').map((x) => x.trim()).filter(Boolean);
      for (const r of rings) if (!(ALL_RINGS as readonly string[]).includes(r)) throw new Error(`--rings: unknown layout ${r} (known: ${ALL_RINGS.join(', ')})`);
      if (rings.length === 0) throw new Error('--rings needs at least one layout');
      o.rings = ALL_RINGS.filter((r) => rings.includes(r));
      continue;
    }
    if (key === 'switches') {
      const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
      for (const n of names) {
        if (!(ALL_SWITCHES as readonly string[]).includes(n)) throw new Error(`--switches: unknown switch ${n} (known: ${ALL_SWITCHES.join(', ')})`);
      }
      if (!names.includes('fastpath')) throw new Error('--switches must include fastpath (every ratio is against it)');
      if (names.length < 2) throw new Error('--switches needs fastpath and at least one other switch');
      // Canonical order, no duplicates: the rows and the rotation use it.
      o.switches = ALL_SWITCHES.filter((n) => names.includes(n));
      continue;
    }
    const nk = key as NumericOption;
    const v = Number(raw);
    const [lo, hi, int] = limits[nk];
    if (!Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
      throw new Error(`--${key} must be ${int ? 'an integer' : 'a number'} in ${lo}..${hi}, got ${raw}`);
    }
    o[nk] = v;
  }
  return o;
}
