// SPDX-License-Identifier: Apache-2.0
// fpctl network add | del | list.
import type { Network__Output } from '../../api/gen/fastpath/v1/Network.js';
import { intOption } from '../args.js';
import type { CommandSpec } from '../command.js';
import { vlanName } from '../format.js';
import { renderTable } from '../table.js';

function describe(n: Network__Output): string {
  return `vlan ${vlanName(n.vlan)}, mtu ${n.mtu}`;
}

export const networkAdd: CommandSpec = {
  words: ['network', 'add'],
  args: ['<name>'],
  summary: 'create a network (an L2 domain); the same spec again changes nothing',
  options: {
    vlan: { type: 'string', value: 'N', help: 'default access VLAN of its ports, 1..4094 (default: none, ports are trunks)' },
    mtu: { type: 'string', value: 'N', help: 'MTU in bytes, 68..9000 (default 1500)' },
  },
  async run(ctx, [name], opts) {
    const c = ctx.client;
    const vlan = intOption(opts, 'vlan');
    const mtu = intOption(opts, 'mtu');
    const res = await c.unary(c.networks, c.networks.CreateNetwork, {
      network: { name, ...(vlan !== undefined ? { vlan } : {}), ...(mtu !== undefined ? { mtu } : {}) },
    });
    if (ctx.json) return ctx.printJson(res);
    const n = res.network!;
    ctx.print(res.created ? `created network ${n.name} (${describe(n)})` : `network ${n.name} already existed with this spec (${describe(n)}); nothing changed`);
  },
};

export const networkDel: CommandSpec = {
  words: ['network', 'del'],
  args: ['<name>'],
  summary: 'delete a network (it must have no ports)',
  options: { 'if-exists': { type: 'boolean', help: 'succeed when there is no such network' } },
  async run(ctx, [name], opts) {
    const c = ctx.client;
    const res = await c.unary(c.networks, c.networks.DeleteNetwork, {
      name, allowMissing: opts['if-exists'] === true,
    });
    if (ctx.json) return ctx.printJson(res);
    ctx.print(opts['if-exists'] ? `network ${name} is gone` : `deleted network ${name}`);
  },
};

export const networkList: CommandSpec = {
  words: ['network', 'list'],
  args: [],
  summary: 'list networks',
  async run(ctx) {
    const c = ctx.client;
    const res = await c.unary(c.networks, c.networks.ListNetworks, {});
    if (ctx.json) return ctx.printJson(res);
    if (res.networks.length === 0) return ctx.note('no networks (create one with: fpctl network add <name>)');
    ctx.print(renderTable(
      [{ header: 'NAME' }, { header: 'VLAN' }, { header: 'MTU', align: 'right' }, { header: 'PORTS', align: 'right' }],
      res.networks.map((n) => [n.name, vlanName(n.vlan), String(n.mtu), String(n.portCount)]),
    ));
  },
};
