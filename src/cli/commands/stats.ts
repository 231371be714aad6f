// SPDX-License-Identifier: Apache-2.0
// fpctl stats: per-port counters and drops.
import { DROP_REASONS, PEER_ERRORS } from '../../dataplane/counters.js';
import type { CommandSpec } from '../command.js';
import { dropReasons, totalDrops } from '../format.js';
import { renderTable } from '../table.js';

export const stats: CommandSpec = {
  words: ['stats'],
  args: ['[<port>]'],
  summary: 'packet and byte counters and drops (total and by reason) of one port or all',
  details: [
    'RX counts frames the switch received from the guest, TX frames it delivered to the guest.',
    'Drop reasons:',
    ...DROP_REASONS.map((r) => `  ${r.name.padEnd(10)} ${r.description}`),
    'PEER_ERRORS, what the guest did wrong:',
    ...PEER_ERRORS.map((r) => `  ${r.name.padEnd(12)} ${r.description}`),
  ].join('\n'),
  async run(ctx, [name]) {
    const c = ctx.client;
    const res = await c.unary(c.ports, c.ports.GetPortStats, { name: name ?? '' });
    if (ctx.json) return ctx.printJson(res);
    if (res.stats.length === 0) return ctx.note('no ports');
    const right = { align: 'right' as const };
    ctx.print(renderTable(
      [{ header: 'PORT' }, { header: 'NETWORK' }, { header: 'LINK' }, { header: 'RX_PKTS', ...right }, { header: 'RX_BYTES', ...right },
        { header: 'TX_PKTS', ...right }, { header: 'TX_BYTES', ...right }, { header: 'DROPS', ...right }, { header: 'DROPS_BY_REASON' }, { header: 'PEER_ERRORS' }],
      res.stats.map((s) => [
        s.name, s.network, s.linkUp ? 'up' : 'down', String(s.rxPackets), String(s.rxBytes), String(s.txPackets), String(s.txBytes),
        String(totalDrops(s.drops)), dropReasons(s.drops), dropReasons(s.peerErrors),
      ]),
    ));
  },
};
