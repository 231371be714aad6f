// SPDX-License-Identifier: Apache-2.0
// fpctl port add | del | list | show.
import { reasonOf } from '../../api/error-info.js';
import type { CreatePortRequest } from '../../api/gen/fastpath/v1/CreatePortRequest.js';
import { RANGES, type Range } from '../../dataplane/limits.js';
import { affinityOption, choiceOption, intOption, modeOption, UsageError } from '../args.js';
import type { CommandSpec, OptionValues } from '../command.js';
import { withHint } from '../errors.js';
import { portRow, renderAttach, renderPortDetails } from '../port-view.js';
import { renderTable } from '../table.js';

export const DEFAULT_NETWORK = 'default';

/** The CreatePort request the options describe; unset options stay unset so the daemon's defaults apply. */
export function portRequest(name: string, opts: OptionValues): CreatePortRequest {
  const mode = choiceOption(opts, 'mode', ['server', 'client'] as const);
  const type = choiceOption(opts, 'type', ['vhost-user', 'memif'] as const);
  const num = (k: string, range: Range): number | undefined => intOption(opts, k, range);
  const [queues, vlan, uid, gid] = [num('queues', RANGES.queues), num('vlan', RANGES.vlan), num('uid', RANGES.id), num('gid', RANGES.id)];
  const [ringLog2, bufferSize] = [num('memif-ring-log2', RANGES.memifRingLog2), num('memif-buffer-size', RANGES.memifBufferSize)];
  const [socketMode, dirMode] = [modeOption(opts, 'socket-mode', RANGES.socketMode), modeOption(opts, 'dir-mode', RANGES.dirMode)];
  const maxMacs = num('max-macs', RANGES.maxMacs);
  const affinity = affinityOption(opts);
  const list = (k: string): string[] => (typeof opts[k] === 'string' ? (opts[k] as string).split(',').map((x) => x.trim()).filter(Boolean) : []);
  const secure = opts['port-security'] === true || list('allowed-macs').length > 0 || list('allowed-ips').length > 0;
  return {
    port: {
      name,
      network: (opts.network as string | undefined) ?? DEFAULT_NETWORK,
      ...(mode ? { mode: mode === 'client' ? 'PORT_MODE_CLIENT' as const : 'PORT_MODE_SERVER' as const } : {}),
      ...(type ? { type: type === 'memif' ? 'PORT_TYPE_MEMIF' as const : 'PORT_TYPE_VHOST_USER' as const } : {}),
      ...(ringLog2 !== undefined ? { memifRingLog2: ringLog2 } : {}),
      ...(bufferSize !== undefined ? { memifBufferSize: bufferSize } : {}),
      ...(queues !== undefined ? { queues } : {}),
      ...(vlan !== undefined ? { vlan } : {}),
      ...(typeof opts.mac === 'string' ? { mac: opts.mac } : {}),
      ...(secure ? { security: { allowedMacs: list('allowed-macs'), allowedIps: list('allowed-ips') } } : {}),
      ...(maxMacs !== undefined ? { maxMacs } : {}),
      ...(affinity !== undefined ? { rxqAffinity: affinity } : {}),
      access: {
        ...(uid !== undefined ? { uid } : {}),
        ...(gid !== undefined ? { gid } : {}),
        ...(socketMode !== undefined ? { mode: socketMode } : {}),
        ...(dirMode !== undefined ? { dirMode } : {}),
      },
    },
  };
}

export const portAdd: CommandSpec = {
  words: ['port', 'add'],
  args: ['<name>'],
  summary: 'create a port and print how a container attaches to it; the same spec again changes nothing',
  options: {
    network: { type: 'string', value: 'NAME', help: `network to join (default: ${DEFAULT_NETWORK})` },
    type: { type: 'string', value: 'vhost-user|memif', help: 'vhost-user (default; virtio_user guests) or memif (fastpath is the memif server)' },
    'memif-ring-log2': { type: 'string', value: 'N', help: 'memif: log2 of the ring size, 4..14 (default 10)' },
    'memif-buffer-size': { type: 'string', value: 'BYTES', help: 'memif: buffer size, 128..65535 (default 2048)' },
    mode: { type: 'string', value: 'client|server', help: 'client (default for vhost-user): the container serves the socket and survives a fastpathd restart; server: fastpath owns it (the container must restart with fastpathd)' },
    queues: { type: 'string', value: 'N', help: 'queue pairs (default 1)' },
    mac: { type: 'string', value: 'MAC', help: 'container-side MAC (default: allocated, kept across restarts)' },
    vlan: { type: 'string', value: 'N', help: "access VLAN 1..4094 (default: the network's)" },
    uid: { type: 'string', value: 'UID', help: 'owner of the port directory and socket (default 0)' },
    gid: { type: 'string', value: 'GID', help: 'group of the port directory and socket (default 0)' },
    'socket-mode': { type: 'string', value: 'MODE', help: 'socket file mode, octal (default 0660)' },
    'dir-mode': { type: 'string', value: 'MODE', help: 'port directory mode, octal (default 0750)' },
    'port-security': { type: 'boolean', help: 'drop frames from source MACs other than the port\'s (or --allowed-macs)' },
    'allowed-macs': { type: 'string', value: 'MAC,…', help: 'port security: the source MACs allowed (default: the port\'s own); implies --port-security' },
    'allowed-ips': { type: 'string', value: 'IP,…', help: 'port security: the addresses it may claim in ARP/ND; implies --port-security' },
    'max-macs': { type: 'string', value: 'N', help: 'source MACs the port may have learned at once, 1..65536 (default 64)' },
    'rxq-affinity': { type: 'string', value: 'Q:LCORE,…', help: 'pin rx queues to worker lcores (fpctl workers lists them); the others go to the least loaded worker' },
  },
  async run(ctx, [name], opts) {
    const c = ctx.client;
    const req = portRequest(name!, opts);
    const res = await c.unary(c.ports, c.ports.CreatePort, req).catch((e: unknown) => {
      if (reasonOf(e) === 'NETWORK_NOT_FOUND') throw withHint(e, `create it first: fpctl network add ${req.port?.network}`);
      throw e;
    });
    if (ctx.json) return ctx.printJson(res);
    const p = res.port!;
    const head = res.created
      ? `created port ${p.spec?.name} in network ${p.spec?.network}`
      : `port ${p.spec?.name} already existed with this spec (network ${p.spec?.network}); nothing changed`;
    ctx.print(`${head}\n\n${renderAttach(p)}`);
  },
};

export const portDel: CommandSpec = {
  words: ['port', 'del'],
  args: ['<name>'],
  summary: 'delete a port and its socket directory',
  options: { 'if-exists': { type: 'boolean', help: 'succeed when there is no such port' } },
  async run(ctx, [name], opts) {
    const c = ctx.client;
    const res = await c.unary(c.ports, c.ports.DeletePort, { name, allowMissing: opts['if-exists'] === true });
    if (ctx.json) return ctx.printJson(res);
    ctx.print(opts['if-exists'] ? `port ${name} is gone` : `deleted port ${name}`);
  },
};

export const portList: CommandSpec = {
  words: ['port', 'list'],
  args: [],
  summary: 'list ports with their link state',
  options: { network: { type: 'string', value: 'NAME', help: 'only the ports of this network' } },
  async run(ctx, _args, opts) {
    const c = ctx.client;
    const res = await c.unary(c.ports, c.ports.ListPorts, { network: (opts.network as string | undefined) ?? '' });
    if (ctx.json) return ctx.printJson(res);
    if (res.ports.length === 0) return ctx.note(opts.network ? `no ports in network ${String(opts.network)}` : 'no ports (create one with: fpctl port add <name>)');
    ctx.print(renderTable(
      ['NAME', 'NETWORK', 'MODE', 'QUEUES', 'VLAN', 'MAC', 'LINK', 'SOCKET'].map((header) => ({ header, ...(header === 'QUEUES' ? { align: 'right' as const } : {}) })),
      res.ports.map(portRow),
    ));
  },
};

export const portShow: CommandSpec = {
  words: ['port', 'show'],
  args: ['<name>'],
  summary: 'one port: its spec, link state and how to attach to it',
  async run(ctx, [name]) {
    const c = ctx.client;
    const res = await c.unary(c.ports, c.ports.GetPort, { name });
    if (ctx.json) return ctx.printJson(res);
    ctx.print(renderPortDetails(res.port!));
  },
};

export const portSet: CommandSpec = {
  words: ['port', 'set'],
  args: ['<name>'],
  summary: 'change a port: pin its rx queues to worker lcores (kept across restarts)',
  details: 'A queue that moves pauses for one RCU grace period; the other queues are polled throughout. '
    + '--rxq-affinity "" places every queue by load again.',
  options: {
    'rxq-affinity': { type: 'string', value: 'Q:LCORE,…', help: 'e.g. 0:2,1:3: queue 0 on lcore 2, queue 1 on lcore 3' },
  },
  async run(ctx, [name], opts) {
    const affinity = affinityOption(opts);
    if (affinity === undefined) throw new UsageError('nothing to set: give --rxq-affinity');
    const c = ctx.client;
    const res = await c.unary(c.ports, c.ports.SetRxqAffinity, { name, rxqAffinity: affinity });
    if (ctx.json) return ctx.printJson(res);
    const pins = Object.entries(res.port!.spec!.rxqAffinity).map(([q, l]) => `${q}:${l}`).join(',');
    ctx.print(pins ? `port ${name}: rx queues pinned ${pins}; the others placed by load` : `port ${name}: every rx queue placed by load`);
  },
};
