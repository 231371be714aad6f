// SPDX-License-Identifier: Apache-2.0
// Command-line options of the control-plane bench.

export interface ControlOptions {
  /** Ports created (then deleted) per round. */
  ports: number;
  /** Rounds of N creates + N deletes, all on the same daemon. */
  rounds: number;
}

export const CONTROL_USAGE = `usage: npm run bench:control -- [--ports N] [--rounds R]
  --ports N   server-mode ports created one after another, then deleted,
              per round (default 1000; fastpathd runs with --max-ports
              max(N, 1000))
  --rounds R  rounds on the same daemon; per-round and overall figures
              are reported (default 1)`;

export function parseControlArgs(argv: string[]): ControlOptions | 'help' {
  const o: ControlOptions = { ports: 1000, rounds: 1 };
  // Above FP_MAX_PORTS (1024) on purpose: the bench reports where and how
  // the daemon refuses, which is one of the things it is for.
  const limits: Record<keyof ControlOptions, [number, number]> = { ports: [1, 4096], rounds: [1, 100] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    const key = m?.[1] as keyof ControlOptions | undefined;
    if (!m || key === undefined || !(key in limits)) throw new Error(`unknown option ${arg}\n${CONTROL_USAGE}`);
    const raw = m[2] ?? argv[++i];
    if (raw === undefined) throw new Error(`--${key} needs a value\n${CONTROL_USAGE}`);
    const v = Number(raw);
    const [lo, hi] = limits[key];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`--${key} must be an integer in ${lo}..${hi}, got ${raw}`);
    o[key] = v;
  }
  return o;
}
