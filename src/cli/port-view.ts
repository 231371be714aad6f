// SPDX-License-Identifier: Apache-2.0
// How a port reads for people: one shared rendering for `port add`, `port
// show` and `attach`, so each tells a container's owner the same things in
// the same words.
import type { Attach__Output } from '../api/gen/fastpath/v1/Attach.js';
import type { Port__Output } from '../api/gen/fastpath/v1/Port.js';
import { formatFeatures, formatMode, modeName, portVlanName, shellJoin } from './format.js';
import { renderFields } from './table.js';

/** The API always fills these; a missing one means a daemon/client mismatch. */
export function attachOf(p: Port__Output): Attach__Output {
  if (!p.attach) throw new Error(`fastpathd sent port ${p.spec?.name ?? '?'} without its attach information`);
  return p.attach;
}

function mountText(a: Attach__Output): string {
  return `${a.hostDir} -> ${a.containerDir}   (host dir -> container dir; mount only this one)`;
}

/** The EAL arguments (one per line, optionally also as one line) and a docker run line. */
function recipe(a: Attach__Output, oneLine: boolean): string {
  const parts = ["EAL arguments for the container's DPDK application:", ...a.ealArgs.map((x) => `  ${x}`)];
  if (oneLine) parts.push('', 'as one line:', `  ${shellJoin(a.ealArgs)}`);
  parts.push('', 'docker run example:', `  ${a.dockerRun}`);
  return parts.join('\n');
}

/** What a container needs: socket, MAC, mount, EAL arguments, a docker run line. */
export function renderAttach(p: Port__Output, opts: { oneLine?: boolean } = {}): string {
  const a = attachOf(p);
  const fields = renderFields([['socket', a.socketPath], ['mac', p.mac], ['mount', mountText(a)]]);
  return `${fields}\n\n${recipe(a, opts.oneLine ?? false)}`;
}

function access(p: Port__Output): string {
  const acc = p.spec?.access;
  if (!acc) return '-';
  const owner = `uid ${acc.uid ?? 0}, gid ${acc.gid ?? 0}`;
  return `${owner}, socket ${formatMode(acc.mode)}, dir ${formatMode(acc.dirMode)}`;
}

/** Every field of one port, then how to attach to it. */
export function renderPortDetails(p: Port__Output): string {
  const s = p.spec;
  const st = p.status;
  const a = attachOf(p);
  const fields: Array<[string, string]> = [
    ['name', s?.name ?? ''],
    ['network', s?.network ?? ''],
    ['type', s?.type === 'PORT_TYPE_MEMIF' ? 'memif' : 'vhost-user'],
    ['mode', !s ? '' : s.mode === 'PORT_MODE_SERVER' && s.type !== 'PORT_TYPE_MEMIF'
      ? 'server (does not survive a fastpathd restart: restart its container after one; client mode does)'
      : modeName(s.mode)],
    ['queues', String(s?.queues ?? '')],
    ['vlan', portVlanName(s?.vlan ?? 0, true)],
    ['mac', `${p.mac}${s?.mac ? '' : ' (allocated)'}`],
    ['access', access(p)],
    ['security', s?.security ? `on: MACs ${s.security.allowedMacs.length ? s.security.allowedMacs.join(', ') : p.mac}; `
      + `addresses ${s.security.allowedIps.length ? s.security.allowedIps.join(', ') : 'not checked'}` : 'off'],
    ['max macs', String(s?.maxMacs ?? '')],
    ['rxq affinity', Object.entries(s?.rxqAffinity ?? {}).map(([q, l]) => `${q}:${l}`).join(',') || 'none (queues placed by load; fpctl workers)'],
    ['link', st?.linkUp ? `up (features ${formatFeatures(st.features)}, ${st.queuePairs} queue pair(s))` : 'down'],
    ['socket', a.socketPath],
    ['mount', mountText(a)],
  ];
  return `${renderFields(fields)}\n\n${recipe(a, false)}`;
}

/** The columns of `port list`. */
export function portRow(p: Port__Output): string[] {
  const s = p.spec;
  return [
    s?.name ?? '', s?.network ?? '', s ? modeName(s.mode) : '', String(s?.queues ?? ''), portVlanName(s?.vlan ?? 0),
    p.mac, p.status?.linkUp ? 'up' : 'down', p.attach?.socketPath ?? '',
  ];
}
