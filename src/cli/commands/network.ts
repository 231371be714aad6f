// SPDX-License-Identifier: Apache-2.0
// fpctl network add | del | list.
import type { Network__Output } from '../../api/gen/fastpath/v1/Network.js';
import type { PuntClass } from '../../api/gen/fastpath/v1/PuntClass.js';
import { PUNT_CLASSES } from '../../dataplane/counters.js';
import { RANGES } from '../../dataplane/limits.js';
import { intOption, intValue, UsageError } from '../args.js';
import type { CommandSpec } from '../command.js';
import { vlanName } from '../format.js';
import { renderTable } from '../table.js';

function describe(n: Network__Output): string {
  const k = n.kernelInterface;
  const kernel = k ? `, kernel interface ${k.name}${k.addresses.length ? ` ${k.addresses.join(' ')}` : ''}${k.netns ? ` in netns ${k.netns}` : ''} (${k.kind})` : '';
  return `vlan ${vlanName(n.vlan)}, mtu ${n.mtu}${kernel}`;
}

/** --punt arp_nd=1000/100,unknown=on,lldp=off */
function puntOption(v: string | undefined): PuntClass[] {
  if (v === undefined) return [];
  return v.split(',').filter(Boolean).map((item) => {
    const m = /^([a-z_]+)=(on|off|(\d+)\/(\d+))$/.exec(item.trim());
    if (!m) throw new UsageError(`--punt: want CLASS=PPS/BURST, CLASS=on or CLASS=off, got ${JSON.stringify(item)}`);
    return {
      name: m[1]!, enabled: m[2] !== 'off',
      ...(m[3] ? { pps: intValue(m[3], '--punt PPS', RANGES.uint32), burst: intValue(m[4]!, '--punt BURST', RANGES.uint32) } : {}),
    };
  });
}

export const networkAdd: CommandSpec = {
  words: ['network', 'add'],
  args: ['<name>'],
  summary: 'create a network (an L2 domain); the same spec again changes nothing',
  options: {
    vlan: { type: 'string', value: 'N', help: 'default access VLAN of its ports, 1..4094 (default: none, ports are trunks)' },
    mtu: { type: 'string', value: 'N', help: 'MTU in bytes, 68..9000 (default 1500)' },
    gateway: { type: 'string', value: 'CIDR[,CIDR]', help: 'give the network a kernel interface (fp-<name>) with these addresses, e.g. 10.77.0.1/24' },
    'kernel-iface': { type: 'string', value: 'NAME', help: 'name of the kernel interface (1..15 characters; default fp-<name>)' },
    netns: { type: 'string', value: 'NS', help: 'move the kernel interface into this network namespace' },
    punt: { type: 'string', value: 'LIST', help: `punt classes to the kernel: CLASS=PPS/BURST|on|off, comma-separated (${PUNT_CLASSES.map((c) => c.name).join(' ')})` },
  },
  async run(ctx, [name], opts) {
    const c = ctx.client;
    const vlan = intOption(opts, 'vlan', RANGES.vlan);
    const mtu = intOption(opts, 'mtu', RANGES.mtu);
    const str = (k: string): string | undefined => (typeof opts[k] === 'string' ? (opts[k] as string) : undefined);
    const wantsKernel = ['gateway', 'kernel-iface', 'netns', 'punt'].some((k) => str(k) !== undefined);
    const res = await c.unary(c.networks, c.networks.CreateNetwork, {
      network: {
        name, ...(vlan !== undefined ? { vlan } : {}), ...(mtu !== undefined ? { mtu } : {}),
        ...(wantsKernel ? {
          kernelInterface: {
            name: str('kernel-iface') ?? '', netns: str('netns') ?? '',
            addresses: (str('gateway') ?? '').split(',').map((x) => x.trim()).filter(Boolean),
            punt: puntOption(str('punt')),
          },
        } : {}),
      },
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

export const networkShow: CommandSpec = {
  words: ['network', 'show'],
  args: ['<name>'],
  summary: 'one network, with its kernel interface and punt class counters',
  async run(ctx, [name]) {
    const c = ctx.client;
    const res = await c.unary(c.networks, c.networks.GetNetwork, { name });
    if (ctx.json) return ctx.printJson(res);
    const n = res.network!;
    const lines = [`network ${n.name}: ${describe(n)}, ${n.portCount} port(s)`];
    const k = n.kernelInterface;
    if (k) {
      lines.push(`kernel interface ${k.name}: ${k.up ? 'up' : 'DOWN'}, mac ${k.mac}, rx ${k.rxPackets} tx ${k.txPackets} packets; ${k.reason}`);
      lines.push(renderTable(
        [{ header: 'PUNT CLASS' }, { header: 'ON' }, { header: 'PPS', align: 'right' }, { header: 'BURST', align: 'right' },
          { header: 'PASSED', align: 'right' }, { header: 'POLICED', align: 'right' }],
        k.punt.map((p) => [p.name, p.enabled ? 'yes' : 'no', String(p.pps), String(p.burst), String(p.passed), String(p.policed)]),
      ));
    }
    ctx.print(lines.join('\n'));
  },
};
