// SPDX-License-Identifier: Apache-2.0
// bench/results/loop.svg: loop Mpps per cell (frame size, virtqueue
// layout), one bar per switch with its min-max over trials.
import type { LoopOptions } from './args.js';
import { cellName, type CellSummary } from './loop-report.js';
import { barChartSvg } from './svg-chart.js';

export function loopChartSvg(cells: CellSummary[], machine: string, opts: LoopOptions): string {
  return barChartSvg({
    title: 'vhost-user loop: guest testpmd mac-fwd through the switch (one forwarding lcore)',
    notes: [
      machine,
      `median of ${opts.trials} trial(s) x ${opts.seconds} s per bar, whiskers min-max; ${opts.bursts * 64} frames in flight`,
    ],
    yLabel: 'loop Mpps (packets received by the guest)',
    groups: cells.map((c) => ({
      label: cellName(c),
      bars: c.rows.map((r) => ({ series: r.name, value: r.mpps.median, min: r.mpps.min, max: r.mpps.max })),
    })),
  });
}
