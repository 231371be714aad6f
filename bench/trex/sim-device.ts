// SPDX-License-Identifier: Apache-2.0
// A deterministic stand-in for a device under test, with a known NDR and
// PDR: the search's tests run against it, and `npm run bench:trex --
// --simulate` shows the whole bench (progress, JSON, chart) where there is
// no TRex.
//   offered <= ndr:        nothing lost
//   ndr < offered <= pdr:  loss grows linearly from 0 to pdrLoss, at least one frame
//   offered > pdr:         received keeps growing at half the offered slope
import type { RunTrial, TrialOutcome } from './search.js';

export interface SimDevice {
  /** Packets/s per direction. */
  ndr: number;
  pdr: number;
  pdrLoss: number;
  /** A generator that cannot send faster than this, packets/s per direction. */
  generatorMax?: number;
}

/** Received packets/s per direction when offered `o` packets/s per direction. */
export function simReceived(d: SimDevice, o: number): number {
  if (o <= d.ndr) return o;
  if (o <= d.pdr) return o * (1 - (d.pdrLoss * (o - d.ndr)) / (d.pdr - d.ndr));
  return (1 - d.pdrLoss) * (d.pdr + (o - d.pdr) / 2);
}

/** One bidirectional trial of `seconds` against the simulated device. */
export function simTrial(d: SimDevice, seconds: number): RunTrial {
  if (!(d.ndr > 0 && d.pdr > d.ndr && d.pdrLoss > 0)) throw new Error('need 0 < ndr < pdr and pdrLoss > 0');
  return (asked: number): Promise<TrialOutcome> => {
    const rate = Math.min(asked, d.generatorMax ?? Infinity);
    const tx = Math.round(rate * seconds) * 2;
    const loss = 1 - simReceived(d, rate) / rate;
    // Any loss at all is at least one frame: the NDR is exact.
    const lost = loss > 0 ? Math.max(1, Math.ceil(tx * loss - 1e-9)) : 0;
    return Promise.resolve({ txPackets: tx, rxPackets: tx - lost, seconds });
  };
}
