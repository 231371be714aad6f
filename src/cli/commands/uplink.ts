// SPDX-License-Identifier: Apache-2.0
// fpctl uplink add | del | list: host NICs that carry the VXLAN overlay.
import type { Uplink__Output } from '../../api/gen/fastpath/v1/Uplink.js';
import { RANGES } from '../../dataplane/limits.js';
import { choiceOption, intOption, UsageError } from '../args.js';
import type { CommandSpec } from '../command.js';
import { totalDrops } from '../format.js';
import { renderTable } from '../table.js';

const DRIVERS = ['af_xdp', 'af_packet', 'pci'] as const;
const UNDERLAY_MTU = { what: 'underlay MTU', lo: 576, hi: 9000 };

const link = (up: boolean): string => (up ? 'up' : 'down');

function describe(u: Uplink__Output): string {
  const s = u.status;
  const mtu = s?.mtuInUse ? String(s.mtuInUse) : u.mtu ? String(u.mtu) : "the device's";
  return `${u.driver}${u.pci ? ` ${u.pci}` : ''}, address ${u.address}${u.gateway ? ` via ${u.gateway}` : ''}, `
    + `mac ${s?.mac || '-'}, mtu ${mtu}, link ${link(s?.linkUp ?? false)}`;
}

export const uplinkAdd: CommandSpec = {
  words: ['uplink', 'add'],
  args: ['<iface>'],
  summary: 'bind a host NIC to the data plane as this node\'s VXLAN endpoint; the same spec again changes nothing',
  details: `Drivers: af_xdp (the NIC stays a kernel netdev; needs AF_XDP), af_packet (any netdev,
slower), pci (a device the operator bound to vfio-pci; fastpath never rebinds one).
The host is checked first: a missing interface is NOT_FOUND, a kernel or device
that cannot work is FAILED_PRECONDITION with what to do about it.`,
  options: {
    driver: { type: 'string', value: 'af_xdp|af_packet|pci', help: 'how the NIC reaches the data plane (required)' },
    pci: { type: 'string', value: 'ADDR', help: 'pci driver: the device, e.g. 0000:03:00.0' },
    queues: { type: 'string', value: 'N', help: 'queue pairs, 1..16 (default 1)' },
    address: { type: 'string', value: 'CIDR', help: 'this node\'s tunnel endpoint with its subnet, e.g. 10.1.0.5/24 (required)' },
    gateway: { type: 'string', value: 'IP', help: 'next hop for peers off the subnet' },
    mtu: { type: 'string', value: 'N', help: 'underlay MTU, 576..9000 (default: the device\'s)' },
  },
  async run(ctx, [iface], opts) {
    const driver = choiceOption(opts, 'driver', DRIVERS);
    if (!driver) throw new UsageError('--driver is required (af_xdp, af_packet or pci)');
    if (typeof opts.address !== 'string') throw new UsageError('--address is required, e.g. --address 10.1.0.5/24');
    if (driver === 'pci' && typeof opts.pci !== 'string') throw new UsageError('the pci driver needs --pci DOMAIN:BUS:DEV.FN, e.g. 0000:03:00.0');
    const queues = intOption(opts, 'queues', RANGES.queues);
    const mtu = intOption(opts, 'mtu', UNDERLAY_MTU);
    const c = ctx.client;
    const res = await c.unary(c.overlays, c.overlays.AddUplink, {
      uplink: {
        iface, driver, address: opts.address,
        ...(typeof opts.pci === 'string' ? { pci: opts.pci } : {}), ...(queues !== undefined ? { queues } : {}),
        ...(typeof opts.gateway === 'string' ? { gateway: opts.gateway } : {}), ...(mtu !== undefined ? { mtu } : {}),
      },
    });
    if (ctx.json) return ctx.printJson(res);
    const u = res.uplink!;
    ctx.print(res.created ? `added uplink ${u.name}: ${describe(u)}` : `uplink ${u.name} already existed with this spec (${describe(u)}); nothing changed`);
  },
};

export const uplinkDel: CommandSpec = {
  words: ['uplink', 'del'],
  args: ['<iface>'],
  summary: 'give a NIC back (no overlay may use it)',
  options: { 'if-exists': { type: 'boolean', help: 'succeed when there is no such uplink' } },
  async run(ctx, [name], opts) {
    const c = ctx.client;
    const res = await c.unary(c.overlays, c.overlays.DeleteUplink, { name, allowMissing: opts['if-exists'] === true });
    if (ctx.json) return ctx.printJson(res);
    ctx.print(opts['if-exists'] ? `uplink ${name} is gone` : `deleted uplink ${name}`);
  },
};

export const uplinkList: CommandSpec = {
  words: ['uplink', 'list'],
  args: [],
  summary: 'list uplinks with their link, counters and ARP neighbours',
  async run(ctx) {
    const c = ctx.client;
    const res = await c.unary(c.overlays, c.overlays.ListUplinks, {});
    if (ctx.json) return ctx.printJson(res);
    if (res.uplinks.length === 0) return ctx.note('no uplinks (add one with: fpctl uplink add <iface> --driver af_xdp --address CIDR)');
    const right = { align: 'right' as const };
    const lines = [renderTable(
      [{ header: 'NAME' }, { header: 'DRIVER' }, { header: 'ADDRESS' }, { header: 'LINK' }, { header: 'MAC' }, { header: 'MTU', ...right },
        { header: 'RX_PKTS', ...right }, { header: 'TX_PKTS', ...right }, { header: 'DROPS', ...right }],
      res.uplinks.map((u) => {
        const s = u.status;
        return [u.name, u.driver, u.address, link(s?.linkUp ?? false), s?.mac || '-', String(s?.mtuInUse ?? 0),
          String(s?.rxPackets ?? 0), String(s?.txPackets ?? 0), String(totalDrops(s?.drops ?? {}))];
      }),
    )];
    for (const u of res.uplinks) {
      const ns = u.status?.neighbours ?? [];
      if (ns.length === 0) continue;
      lines.push('', `${u.name} neighbours:`, ...ns.map((n) => `  ${n.ip} -> ${n.resolved ? n.mac : 'unresolved'}`));
    }
    ctx.print(lines.join('\n'));
  },
};
