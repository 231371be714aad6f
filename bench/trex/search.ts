// SPDX-License-Identifier: Apache-2.0
// RFC 2544 throughput search (section 26.1), for two loss tolerances at once:
// NDR (no drop rate: no frame lost) and PDR (partial drop rate: at most
// e.g. 0.5 % lost). A binary search between 0 and the maximum rate, one
// trial per step, until the interval is narrower than the precision.
// Every trial narrows both searches: a trial with 0.2 % loss is a failure
// for NDR and a success for PDR. The bounds are recomputed from all trials
// each time, so a device that loses at a rate below one where it had not
// (not monotonic, e.g. a noisy neighbour) moves the result down, never up.

/** What one trial measured: frames offered and received, in both directions together. */
export interface TrialOutcome {
  txPackets: number;
  rxPackets: number;
  /** Length of the traffic window, seconds. */
  seconds: number;
}

export interface TrialRecord extends TrialOutcome {
  /** 1-based, in the order run. */
  n: number;
  /** The rate the search asked for, packets/s per direction. */
  askedRate: number;
  /** What the generator really sent: txPackets / 2 / seconds. */
  offeredRate: number;
  /** The generator fell short of the asked rate by more than SHORT_MARGIN. */
  short: boolean;
  /** The rate the trial counts at, packets/s per direction: the asked
   * rate, or what was offered when the generator fell short (a trial
   * never passes at a rate it did not carry). */
  rate: number;
  /** (tx - rx) / tx. */
  lossRatio: number;
  /** Received packets/s per direction, over the window. */
  receivedRate: number;
  /** The search this trial was run for. */
  target: TargetName;
}

export type TargetName = 'NDR' | 'PDR';

/** A generator may miss the asked rate by this much (its pacing, the trial's edges) before a trial says so. */
export const SHORT_MARGIN = 0.02;
export type RunTrial = (ratePps: number, n: number) => Promise<TrialOutcome>;

export interface SearchOptions {
  /** Highest rate tried, packets/s per direction: the first trial. */
  maxRate: number;
  /** Stop when the interval is at most this fraction of maxRate (e.g. 0.005). */
  precision: number;
  /** Loss ratio PDR tolerates (RFC 2544 says none; 0.005 is the usual PDR). */
  pdrLoss: number;
  /** Called after every trial, for progress lines. */
  onTrial?: (t: TrialRecord, plannedMax: number) => void;
}

export interface Found {
  /** Highest rate that met the tolerance (0 when none did). */
  rate: number;
  /** The trial at that rate. */
  trial: TrialRecord | undefined;
  /** Lowest rate that did not, if any: the true value lies in [rate, failedAt). */
  failedAt: number | undefined;
}

export interface SearchResult {
  ndr: Found;
  pdr: Found;
  trials: TrialRecord[];
}

export function lossRatio(o: TrialOutcome): number {
  return o.txPackets > 0 ? (o.txPackets - o.rxPackets) / o.txPackets : 1;
}

/** Bounds of one search from every trial so far. */
export function bounds(trials: readonly TrialRecord[], tolerance: number): Found {
  const failed = trials.filter((t) => t.lossRatio > tolerance).map((t) => t.rate);
  const failedAt = failed.length > 0 ? Math.min(...failed) : undefined;
  let best: TrialRecord | undefined;
  for (const t of trials) {
    if (t.lossRatio > tolerance || (failedAt !== undefined && t.rate >= failedAt)) continue;
    if (!best || t.rate > best.rate) best = t;
  }
  return { rate: best?.rate ?? 0, trial: best, failedAt };
}

/** Trials a binary search of this precision needs at most per target (plus the first at max rate). */
export function plannedTrials(precision: number): number {
  return 1 + 2 * Math.ceil(Math.log2(1 / precision));
}

export async function searchNdrPdr(run: RunTrial, opts: SearchOptions): Promise<SearchResult> {
  if (!(opts.maxRate > 0)) throw new Error('maxRate must be > 0');
  if (!(opts.precision > 0 && opts.precision < 1)) throw new Error('precision must be in (0, 1)');
  if (!(opts.pdrLoss >= 0 && opts.pdrLoss < 1)) throw new Error('pdrLoss must be in [0, 1)');
  const trials: TrialRecord[] = [];
  const resolution = opts.precision * opts.maxRate;
  const planned = plannedTrials(opts.precision);
  const trial = async (rate: number, target: TargetName): Promise<void> => {
    const n = trials.length + 1;
    const o = await run(rate, n);
    const offeredRate = o.seconds > 0 ? o.txPackets / 2 / o.seconds : 0;
    const short = offeredRate < rate * (1 - SHORT_MARGIN);
    const rec: TrialRecord = {
      ...o, n, askedRate: rate, offeredRate, short, rate: short ? offeredRate : rate, target,
      lossRatio: lossRatio(o),
      receivedRate: o.seconds > 0 ? o.rxPackets / 2 / o.seconds : 0,
    };
    trials.push(rec);
    opts.onTrial?.(rec, planned);
  };
  await trial(opts.maxRate, 'NDR');
  // NDR first: its trials often settle much of the PDR search too.
  for (const [target, tolerance] of [['NDR', 0], ['PDR', opts.pdrLoss]] as const) {
    for (;;) {
      const b = bounds(trials, tolerance);
      if (b.failedAt === undefined) break; // the maximum rate met it
      if (b.failedAt - b.rate <= resolution) break;
      // A runaway (a device whose results never settle) stops here: the
      // bounds only narrow, so this is at most log2(1/precision) steps per
      // target plus the contradictions a noisy device causes.
      if (trials.length >= 4 * planned) break;
      await trial((b.rate + b.failedAt) / 2, target);
    }
  }
  return { ndr: bounds(trials, 0), pdr: bounds(trials, opts.pdrLoss), trials };
}
