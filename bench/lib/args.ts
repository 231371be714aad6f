// SPDX-License-Identifier: Apache-2.0
// Command-line options of the loop bench.

export interface LoopOptions {
  /** Length of each measurement window, seconds. */
  seconds: number;
  /** Rounds; each runs one trial of each switch, back to back. */
  trials: number;
  /** Traffic runs this long before the window opens (MAC learning, caches). */
  warmup: number;
  /** `start tx_first <bursts>`: bursts of 32 frames injected per guest port. */
  bursts: number;
}

export const USAGE = `usage: npm run bench:loop -- [--seconds N] [--trials N] [--warmup N] [--bursts N]
  --seconds N  measurement window per trial, seconds (default 10)
  --trials N   trials per switch, alternating between the switches;
               min/median/max are reported (default 3)
  --warmup N   seconds of traffic before each window (default 2)
  --bursts N   bursts of 32 frames each guest port injects (tx_first N, default 8)`;

export function parseArgs(argv: string[]): LoopOptions | 'help' {
  const o: LoopOptions = { seconds: 10, trials: 3, warmup: 2, bursts: 8 };
  const limits: Record<keyof LoopOptions, [number, number, boolean]> = {
    seconds: [1, 3600, true],
    trials: [1, 100, true],
    warmup: [0, 600, false],
    bursts: [1, 64, true],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    const key = m?.[1] as keyof LoopOptions | undefined;
    if (!m || key === undefined || !(key in limits)) throw new Error(`unknown option ${arg}\n${USAGE}`);
    const raw = m[2] ?? argv[++i];
    if (raw === undefined) throw new Error(`--${key} needs a value\n${USAGE}`);
    const v = Number(raw);
    const [lo, hi, int] = limits[key];
    if (!Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
      throw new Error(`--${key} must be ${int ? 'an integer' : 'a number'} in ${lo}..${hi}, got ${raw}`);
    }
    o[key] = v;
  }
  return o;
}
