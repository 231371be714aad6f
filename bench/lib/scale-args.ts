// SPDX-License-Identifier: Apache-2.0
// Command-line options of the scaling bench (bench/scale.ts).
import { ALL_RINGS, type RingLayout } from './args.js';

export const ALL_DIMS = ['ports', 'macs', 'flows', 'sizes'] as const;
export type Dim = (typeof ALL_DIMS)[number];

export interface ScaleOptions {
  dims: Dim[];
  /** Measurement window per point, seconds. */
  seconds: number;
  /** Traffic runs this long after a point's settings change, before its window. */
  settle: number;
  /** Windows per point inside one trial, the points taking turns. */
  rounds: number;
  /** Fresh switch and guest per trial; setups alternate between trials. */
  trials: number;
  rings: RingLayout[];
  /** perf record one extra window per fastpath point (when perf is installed). */
  profile: boolean;
  /** Where the JSON goes (the SVGs beside it). */
  out: string | undefined;
  /** OVS-DPDK beside fastpath: when installed (undefined), never (false). */
  ovs: false | undefined;
  /** apt-get install OVS-DPDK when it is missing. */
  installOvs: boolean;
}

export const SCALE_USAGE = `usage: npm run bench:scale -- [--dims LIST] [--seconds N] [--settle N] [--rounds N]
                             [--trials N] [--rings LIST] [--no-profile] [--out FILE]
                             [--no-ovs | --install-ovs]
  --dims LIST     from ${ALL_DIMS.join(',')} (default all): each grows one thing
                  from the loop bench's case (2 ports, 2 MACs, 1 flow, 64 B):
                    ports  2, 8, 32, 128 active vhost-user ports (pairs)
                    macs   2, 1,000, 100,000 MACs in the network
                    flows  1, 1,000, 100,000 5-tuples against 100 and 10,000 rules
                    sizes  64, 512, 1500, 9000 B frames, per ring layout
  --seconds N     measurement window per point (default 2)
  --settle N      seconds of traffic after a point's change, before its window (default 1)
  --rounds N      windows per point in one trial, the points taking turns (default 3)
  --trials N      fresh switch and guest per trial, setups alternating (default 2);
                  ports and sizes, whose ratios pair two switch processes, run
                  rounds x trials trials of one round each instead
  --rings LIST    virtqueue layouts for the sizes dimension (default split,packed)
  --no-profile    skip the perf profile of each fastpath point
  --out FILE      JSON results (default bench/results/scale.json; SVGs beside it)
  --no-ovs        leave OVS-DPDK out (by default it runs beside fastpath, doing the
                  same work, when openvswitch-switch-dpdk is installed)
  --install-ovs   apt-get install -y openvswitch-switch-dpdk if it is missing`;

export function parseScaleArgs(argv: string[]): ScaleOptions | 'help' {
  const o: ScaleOptions = {
    dims: [...ALL_DIMS], seconds: 2, settle: 1, rounds: 3, trials: 2, rings: [...ALL_RINGS], profile: true, out: undefined, ovs: undefined, installOvs: false,
  };
  const limits = { seconds: [1, 600], settle: [0, 60], rounds: [1, 50], trials: [1, 50] } as const;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--no-profile') {
      o.profile = false;
      continue;
    }
    if (arg === '--no-ovs' || arg === '--install-ovs') {
      if (arg === '--no-ovs') o.ovs = false;
      else o.installOvs = true;
      if (o.ovs === false && o.installOvs) throw new Error(`--no-ovs and --install-ovs contradict each other\n${SCALE_USAGE}`);
      continue;
    }
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    const key = m?.[1];
    if (!m || key === undefined || !(key in limits || ['dims', 'rings', 'out'].includes(key))) throw new Error(`unknown option ${arg}\n${SCALE_USAGE}`);
    const raw = m[2] ?? argv[++i];
    if (raw === undefined || raw === '') throw new Error(`--${key} needs a value\n${SCALE_USAGE}`);
    if (key === 'out') {
      o.out = raw;
    } else if (key === 'dims' || key === 'rings') {
      const known: readonly string[] = key === 'dims' ? ALL_DIMS : ALL_RINGS;
      const items = raw.split(',').map((x) => x.trim()).filter(Boolean);
      const bad = items.filter((x) => !known.includes(x));
      if (items.length === 0 || bad.length > 0) throw new Error(`--${key}: unknown ${bad.join(', ') || '(empty)'} (known: ${known.join(', ')})`);
      if (key === 'dims') o.dims = ALL_DIMS.filter((d) => items.includes(d));
      else o.rings = ALL_RINGS.filter((r) => items.includes(r));
    } else {
      const k = key as keyof typeof limits;
      const v = Number(raw);
      const [lo, hi] = limits[k];
      if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`--${key} must be an integer in ${lo}..${hi}, got ${raw}`);
      o[k] = v;
    }
  }
  return o;
}
