// SPDX-License-Identifier: Apache-2.0
// fpctl info: what this fastpathd is and how its data plane runs.
import type { CommandSpec } from '../command.js';
import { formatDuration, formatFixed } from '../format.js';
import { renderFields, renderTable } from '../table.js';

export const info: CommandSpec = {
  words: ['info'],
  args: [],
  summary: 'daemon and DPDK versions, lcores (cycles/packet, busy %), memory, exception path',
  details: 'Cycles per packet and busy % are given since start and over the last second.',
  async run(ctx) {
    const c = ctx.client;
    const i = await c.unary(c.system, c.system.GetSystemInfo, {});
    if (ctx.json) return ctx.printJson(i);
    const fields = renderFields([
      ['version', i.version],
      ['dpdk', i.dpdkVersion],
      ['uptime', formatDuration(i.uptimeSeconds)],
      ['main lcore', String(i.mainLcore)],
      ['worker lcores', i.workerLcores.join(', ') || '-'],
      ['hugepages', i.hugePages ? 'yes' : 'no'],
      ['memory', i.memory],
      ['mbufs in use', `${i.mbufsInUse} of ${i.mbufsTotal}`],
      ['exception path', i.exceptionPath],
    ]);
    const right = { align: 'right' as const };
    const lcores = renderTable(
      [{ header: 'LCORE', ...right }, { header: 'ROLE' }, { header: 'PACKETS', ...right }, { header: 'CYCLES/PKT', ...right },
        { header: 'CYCLES/PKT(1s)', ...right }, { header: 'BUSY%', ...right }, { header: 'BUSY%(1s)', ...right }],
      i.lcores.map((l) => [
        String(l.lcore), l.role, String(l.packets), formatFixed(l.cyclesPerPacket), formatFixed(l.cyclesPerPacketRecent),
        formatFixed(l.busyPercent), formatFixed(l.busyPercentRecent),
      ]),
    );
    ctx.print(`${fields}\n\n${lcores}`);
  },
};
