// SPDX-License-Identifier: Apache-2.0
// One trial of a scaling-bench setup: a fresh switch (fastpath, testpmd
// io-fwd or OVS-DPDK) with the setup's ports, trafgen guests on them, then rounds in
// which every point of the setup gets a window: the guests and the switch
// change to the point's settings, traffic settles, and the window's figures
// are deltas between two samples of the switch and the guests.
import type { Cleanup } from './cleanup.js';
import { describeNoise, watchCpu, type CpuNoise } from './cpu-noise.js';
import { FastpathSwitch, SWITCH_WORKER_CPU } from './fastpath.js';
import { GUEST_CPU } from './guest.js';
import { OvsDpdkSwitch } from './ovs-dpdk.js';
import { profileCpu, type Profile } from './perf-profile.js';
import type { ScaleOptions } from './scale-args.js';
import { guestPortSplit, pointOrder, type Point, type Setup } from './scale-plan.js';
import type { SwitchSample } from './switch.js';
import { TestpmdIoSwitch } from './testpmd-io.js';
import { Trafgen, TRAFGEN_MAX_PORTS } from './trafgen.js';
import { sleep, until } from '../../test/harness/wait.js';

export interface ScaleWindow {
  point: string;
  trial: number;
  round: number;
  /** Busy cycles of the switch's forwarding lcore per packet it received. */
  cyclesPerPacket: number;
  /** Packets the switch received per second. */
  mpps: number;
  /** Packets the guests received per second (a cross-check). */
  guestMpps: number;
  busyPercent: number;
  /** Frames the switch / the guests dropped during the window. */
  drops: number;
  guestDrops: number;
  noise?: CpuNoise;
}

export interface SetupTrial {
  windows: ScaleWindow[];
  /** perf profile of each point's extra window (fastpath only, when asked and possible). */
  profiles: Record<string, Profile>;
  tscHz: number;
  /** How long each rule count's table took to install, ms. */
  ruleInstallMs: Record<number, number[]>;
}

type Switch = FastpathSwitch | TestpmdIoSwitch | OvsDpdkSwitch;

const LINK_TIMEOUT_MS = 60_000;

async function startSwitch(s: Setup, cleanup: Cleanup, root: string, tag: string): Promise<Switch> {
  if (s.switch === 'testpmd-io') return TestpmdIoSwitch.start(cleanup, root, tag, s.ports);
  if (s.switch === 'ovs-dpdk') {
    // Frames up to the setup's largest (Ethernet header not in the MTU).
    const biggest = Math.max(...s.points.map((p) => p.size));
    return OvsDpdkSwitch.start(cleanup, root, tag, {
      pairs: s.ports / 2, mode: 'normal', macTableSize: s.macTableSize, ...(biggest > 1514 && { mtu: biggest - 14 }),
    });
  }
  return FastpathSwitch.start(cleanup, root, tag, 'fastpath', { pairs: s.ports / 2, macTableSize: s.macTableSize });
}

/** Total guest counters, summed over the guests. */
async function guestTotals(guests: readonly Trafgen[]): Promise<{ rx: number; drop: number }> {
  const all = await Promise.all(guests.map((g) => g.stats()));
  return { rx: all.reduce((a, s) => a + s.rx, 0), drop: all.reduce((a, s) => a + s.drop, 0) };
}

interface Edge {
  s: SwitchSample;
  g: { rx: number; drop: number };
  at: number;
}

async function edge(sw: Switch, guests: readonly Trafgen[]): Promise<Edge> {
  const t0 = performance.now();
  const [s, g] = await Promise.all([sw.sample(), guestTotals(guests)]);
  return { s, g, at: (t0 + performance.now()) / 2 };
}

export async function runSetupTrial(
  setup: Setup, opts: ScaleOptions, cleanup: Cleanup, root: string, tag: string, trial: number,
  progress: (text: string) => void,
): Promise<SetupTrial> {
  const out: SetupTrial = { windows: [], profiles: {}, tscHz: 0, ruleInstallMs: {} };
  const sw = await startSwitch(setup, cleanup, root, tag);
  const guests: Trafgen[] = [];
  const stops: Array<() => Promise<void>> = [];
  try {
    const first = setup.points[0]!;
    const maxSize = Math.max(...setup.points.map((p) => p.size));
    let offset = 0;
    for (const [i, n] of guestPortSplit(setup.ports, TRAFGEN_MAX_PORTS).entries()) {
      const name = `scale-${process.pid}-${tag}-g${i}`;
      const g = await Trafgen.start({
        name, sockets: sw.sockets.slice(offset, offset + n), ring: setup.ring,
        macs: Math.max(1, first.macs / 2), flows: first.flows, size: first.size, maxSize, cpu: GUEST_CPU,
        tag: offset / 2, // pairs numbered across the guests: no two share a MAC
      });
      stops.push(cleanup.defer(`stop guest ${name}`, async () => {
        await g.stop();
        await Trafgen.leftovers(name);
      }));
      guests.push(g);
      offset += n;
    }
    await sw.waitLinks(true, LINK_TIMEOUT_MS);
    for (const g of guests) await g.begin();
    // A loop that does not carry traffic would measure nothing: fail early.
    await until(async () => (await guestTotals(guests)).rx, (rx) => rx > 10_000, `${setup.switch}: traffic through ${setup.ports} ports`, 15_000);

    let rules = 0;
    const apply = async (p: Point): Promise<void> => {
      for (const g of guests) {
        await g.set('macs', Math.max(1, p.macs / 2));
        await g.set('flows', p.flows);
        await g.set('size', p.size);
      }
      if (p.rules !== rules) {
        if (sw instanceof TestpmdIoSwitch) throw new Error(`${setup.switch} has no flow rules`);
        const ms = await sw.setRules(p.rules);
        (out.ruleInstallMs[p.rules] ??= []).push(Math.round(ms));
        rules = p.rules;
      }
      await sleep(opts.settle * 1000);
    };

    for (let round = 1; round <= opts.rounds; round++) {
      for (const p of pointOrder(setup.points, round)) {
        await apply(p);
        const endWatch = watchCpu(SWITCH_WORKER_CPU);
        const a = await edge(sw, guests);
        await sleep(opts.seconds * 1000);
        const b = await edge(sw, guests);
        const noise = endWatch();
        const secs = (b.at - a.at) / 1000;
        const packets = b.s.packets - a.s.packets;
        if (packets <= 0) throw new Error(`${setup.switch}, ${p.label}: no packet crossed the switch during the window`);
        const tscHz = b.s.tscHz || a.s.tscHz;
        out.tscHz ||= tscHz;
        const w: ScaleWindow = {
          point: p.label, trial, round,
          cyclesPerPacket: (b.s.busyCycles - a.s.busyCycles) / packets,
          mpps: packets / secs / 1e6,
          guestMpps: (b.g.rx - a.g.rx) / secs / 1e6,
          busyPercent: tscHz > 0 ? (100 * (b.s.busyCycles - a.s.busyCycles)) / (secs * tscHz) : NaN,
          drops: b.s.drops - a.s.drops,
          guestDrops: b.g.drop - a.g.drop,
          noise,
        };
        out.windows.push(w);
        const n = describeNoise(noise);
        progress(
          `${setup.switch}, ${setup.ports} ports, ${setup.ring}, ${p.label}, round ${round}/${opts.rounds}: ` +
          `${w.cyclesPerPacket.toFixed(1)} cycles/packet, ${w.mpps.toFixed(3)} Mpps (guests ${w.guestMpps.toFixed(3)}), ` +
          `busy ${w.busyPercent.toFixed(0)}%${w.drops > 0 ? `, ${w.drops} DROPPED by the switch` : ''}; ${n.text}`,
        );
      }
    }
    if (opts.profile && sw instanceof FastpathSwitch) {
      for (const p of setup.points) {
        await apply(p);
        const prof = await profileCpu(SWITCH_WORKER_CPU, opts.seconds);
        if (!prof) break; // perf cannot here: say so once, in the report
        out.profiles[p.label] = prof;
        const parts = Object.entries(prof.parts).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}%`).join(', ');
        progress(`profile of ${p.label}: ${parts}`);
      }
    }
    return out;
  } finally {
    for (const stop of stops.reverse()) await stop();
    await sw.stop();
  }
}
