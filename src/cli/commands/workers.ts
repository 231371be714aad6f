// SPDX-License-Identifier: Apache-2.0
// fpctl workers: which worker polls which rx queue and how busy each is, as
// ovs-appctl dpif-netdev/pmd-rxq-show and pmd-perf-show.
import type { CommandSpec } from '../command.js';
import { formatFixed } from '../format.js';
import { renderTable } from '../table.js';

export const workers: CommandSpec = {
  words: ['workers'],
  args: [],
  summary: 'worker lcores: their rx queues (pinned or placed by load), busy %, cycles/packet',
  details: 'SHARE is the queue\'s part of its worker\'s busy cycles since start; * marks a pinned queue, '
    + '(off) one its guest has not enabled. Pin with: fpctl port set NAME --rxq-affinity Q:LCORE,…',
  async run(ctx) {
    const c = ctx.client;
    const i = await c.unary(c.system, c.system.GetSystemInfo, {});
    if (ctx.json) return ctx.printJson({ workers: i.lcores.filter((l) => l.role === 'worker') });
    const right = { align: 'right' as const };
    const rows = i.lcores.filter((l) => l.role === 'worker').flatMap((l) => {
      const head = [String(l.lcore), formatFixed(l.busyPercentRecent), formatFixed(l.cyclesPerPacketRecent), String(l.rxqs.length)];
      if (l.rxqs.length === 0) return [[...head, '-', '', '']];
      return l.rxqs.map((q, k) => [
        ...(k === 0 ? head : ['', '', '', '']),
        `${q.port}:${q.queue}${q.pinned ? '*' : ''}${q.enabled ? '' : ' (off)'}`, String(q.rxPackets), `${formatFixed(q.busySharePercent)}%`,
      ]);
    });
    ctx.print(renderTable(
      [{ header: 'LCORE', ...right }, { header: 'BUSY%(1s)', ...right }, { header: 'CYCLES/PKT(1s)', ...right }, { header: 'RXQS', ...right },
        { header: 'PORT:QUEUE' }, { header: 'RX_PKTS', ...right }, { header: 'SHARE', ...right }],
      rows,
    ));
  },
};
