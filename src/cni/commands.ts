// SPDX-License-Identifier: Apache-2.0
// ADD, DEL, CHECK, GC and STATUS against fastpathd. Each attachment is one
// fastpath port named after it (naming.ts), optionally with the hugepage
// reservation of the same name (so its attach arguments carry --huge-dir
// and -m). ADD undoes what it made when a later step fails; DEL succeeds
// when things are already gone.
import { lstatSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import * as grpc from '@grpc/grpc-js';

import { FastpathClient } from '../api/client.js';
import type { Port__Output } from '../api/gen/fastpath/v1/Port.js';
import type { CniEnv, CniResult, NetConf } from './config.js';
import { deviceInfo, deviceInfoPath, removeDeviceInfo, writeDeviceInfo } from './device-info.js';
import { CNI_ERR, CniError } from './errors.js';
import { portName, portPrefix } from './naming.js';
import type { Policy } from './policy.js';
import { bindInto, isBound, podVolumeDir, targetPath, unbind, type BindTarget } from './attach-dir.js';
import { listRecords, loadRecord, removeRecord, saveRecord, type AttachmentRecord } from './record.js';

/** gRPC failures as CNI errors: unreachable is "try again later". */
function daemonError(e: unknown, what: string): CniError {
  const err = e as grpc.ServiceError;
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
    return new CniError(CNI_ERR.tryAgain, `fastpathd not reachable while trying to ${what}`, err.details ?? err.message);
  }
  if (typeof err.code === 'number') {
    return new CniError(CNI_ERR.daemonRefused, `fastpathd refused to ${what}: ${err.details}`, `grpc status ${grpc.status[err.code]}`);
  }
  return e instanceof CniError ? e : new CniError(CNI_ERR.io, `${what}: ${(e as Error).message}`);
}

async function rpc<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw daemonError(e, what);
  }
}

export class Plugin {
  private readonly c: FastpathClient;

  constructor(private readonly conf: NetConf, private readonly env: CniEnv, private readonly policy: Policy) {
    this.c = new FastpathClient(policy.endpoint, policy.timeoutMs);
  }

  close(): void {
    this.c.close();
  }

  private get port(): string {
    return portName(this.conf.name, this.env.containerId, this.env.ifname);
  }

  /**
   * Where the workload will look for its port directory: the pod's volume
   * under Kubernetes; else the operator's attach directory for this
   * container, when there is one; else nowhere (the host path is reported).
   */
  private bindTarget(): BindTarget | undefined {
    const { args, ifname } = this.env;
    if (args.K8S_POD_UID) return { parent: podVolumeDir(this.policy.kubeletRoot, args.K8S_POD_UID, this.policy.podVolume), name: ifname };
    if (!args.K8S_POD_NAME) return undefined;
    const parent = join(this.policy.hostAttachDir, args.K8S_POD_NAME);
    try {
      return lstatSync(parent).isDirectory() ? { parent, name: ifname } : undefined;
    } catch {
      return undefined;
    }
  }

  async add(): Promise<CniResult> {
    const { conf, env } = this;
    const name = this.port;
    const c = this.c;
    const made: Array<() => Promise<void>> = [];
    try {
      if (conf.hugepages) {
        const h = conf.hugepages;
        const r = await rpc('reserve hugepages', () => c.unary(c.hugepages, c.hugepages.Reserve, {
          owner: name, sizeMib: h.sizeMib, pageSize: h.pageSize === '1G' ? 'PAGE_SIZE_1G' : 'PAGE_SIZE_2M', mode: h.mode, uid: h.uid, gid: h.gid,
        }));
        if (r.created) made.push(async () => { await c.unary(c.hugepages, c.hugepages.Release, { owner: name, force: true, allowMissing: true }); });
      }
      const mac = conf.runtimeConfig.mac ?? env.args.MAC ?? '';
      const res = await rpc('create the port', () => c.unary(c.ports, c.ports.CreatePort, {
        port: {
          name, network: conf.network, mode: conf.mode === 'client' ? 'PORT_MODE_CLIENT' : 'PORT_MODE_SERVER',
          queues: conf.queues, vlan: conf.vlan, mac, maxMacs: conf.maxMacs,
          ...(conf.portSecurity ? { security: conf.portSecurity } : {}),
          access: { uid: conf.socket.uid, gid: conf.socket.gid, mode: conf.socket.mode, dirMode: conf.socket.dirMode },
        },
      }));
      if (res.created) made.push(async () => { await c.unary(c.ports, c.ports.DeletePort, { name, allowMissing: true }); });
      const port = res.port!;
      const attach = port.attach!;

      const record: AttachmentRecord = {
        port: name, netName: conf.name, containerId: env.containerId, ifname: env.ifname,
        deviceInfoFile: deviceInfoPath(conf.runtimeConfig.CNIDeviceInfoFile, this.policy.deviceInfoDir, name),
        hugepages: conf.hugepages !== undefined,
      };
      // The socket path the workload uses: inside the directory bound for
      // it, else the host path (the runtime mounts attach.hostDir).
      let sockPath = attach.socketPath;
      const target = this.bindTarget();
      if (target) {
        try {
          statSync(target.parent);
        } catch {
          throw new CniError(CNI_ERR.invalidConfig, `pod ${env.args.K8S_POD_NAMESPACE ?? ''}/${env.args.K8S_POD_NAME ?? ''} has no emptyDir volume '${this.policy.podVolume}' (expected ${target.parent}); add one and mount it at ${conf.podMountPath}`);
        }
        bindInto(attach.hostDir, target);
        made.push(async () => unbind(target, basename(attach.hostDir)));
        record.bind = target;
        sockPath = join(conf.podMountPath, env.ifname, attach.socketPath.slice(attach.hostDir.length + 1));
      }
      saveRecord(this.policy.stateDir, record);
      made.push(async () => removeRecord(this.policy.stateDir, name));
      writeDeviceInfo(record.deviceInfoFile, deviceInfo(conf.mode, sockPath));

      const iface = {
        name: env.ifname, mac: port.mac, sandbox: env.netns,
        // 1.1.0 has a field for exactly this; 1.0.0 results must not carry it.
        ...(conf.cniVersion === '1.1.0' ? { socketPath: sockPath } : {}),
      };
      return { cniVersion: conf.cniVersion, interfaces: [iface], ips: [], dns: {} };
    } catch (e) {
      for (const undo of made.reverse()) await undo().catch(() => undefined);
      throw e;
    }
  }

  async del(): Promise<void> {
    const name = this.port;
    await this.release(loadRecord(this.policy.stateDir, name) ?? {
      // No record (ADD never finished, or DEL again): recompute what we can.
      port: name, netName: this.conf.name, containerId: this.env.containerId, ifname: this.env.ifname,
      bind: this.bindTarget(),
      deviceInfoFile: deviceInfoPath(this.conf.runtimeConfig.CNIDeviceInfoFile, this.policy.deviceInfoDir, name),
      hugepages: this.conf.hugepages !== undefined,
    });
  }

  /** Everything ADD made for one attachment, each step harmless when already undone. */
  private async release(r: AttachmentRecord): Promise<void> {
    const c = this.c;
    if (r.bind) unbind(r.bind, r.port);
    await rpc('delete the port', () => c.unary(c.ports, c.ports.DeletePort, { name: r.port, allowMissing: true }));
    // force: the pod's containers are gone by now; a process still holding
    // pages (a leak) must not keep the attachment, the kernel frees them
    // when it exits.
    await rpc('release hugepages', () => c.unary(c.hugepages, c.hugepages.Release, { owner: r.port, force: true, allowMissing: true }));
    removeDeviceInfo(r.deviceInfoFile);
    removeRecord(this.policy.stateDir, r.port);
  }

  async check(): Promise<void> {
    const { conf, env } = this;
    const name = this.port;
    const c = this.c;
    const fail = (msg: string): never => { throw new CniError(CNI_ERR.checkFailed, `${env.ifname}: ${msg}`); };
    if (!conf.prevResult) fail('CHECK needs prevResult');
    let port: Port__Output;
    try {
      port = (await c.unary(c.ports, c.ports.GetPort, { name })).port!;
    } catch (e) {
      if ((e as grpc.ServiceError).code === grpc.status.NOT_FOUND) fail(`port ${name} does not exist in fastpathd`);
      throw daemonError(e, 'read the port');
    }
    if (port!.spec!.network !== conf.network) fail(`port ${name} is on network ${port!.spec!.network}, not ${conf.network}`);
    const iface = conf.prevResult!.interfaces?.find((i) => i.name === env.ifname);
    if (!iface) fail('prevResult has no interface of that name');
    if (iface!.mac && iface!.mac !== port!.mac) fail(`MAC is ${port!.mac}, prevResult says ${iface!.mac}`);
    // A server-mode port's socket must be there for the guest to connect.
    if (conf.mode === 'server') {
      let sock = false;
      try {
        sock = lstatSync(port!.attach!.socketPath).isSocket();
      } catch { /* missing */ }
      if (!sock) fail(`socket ${port!.attach!.socketPath} is missing`);
    }
    const r = loadRecord(this.policy.stateDir, name);
    if (r?.bind && !isBound(r.bind)) fail(`port directory is no longer bound at ${targetPath(r.bind)}`);
    if (conf.hugepages) {
      const list = await rpc('list hugepage reservations', () => c.unary(c.hugepages, c.hugepages.List, {}));
      const res = list.reservations.find((x) => x.owner === name);
      if (!res) fail(`hugepage reservation ${name} is missing`);
      if (!res!.mounted) fail(`hugepage reservation ${name} is not mounted`);
    }
  }

  /** CNI 1.1 GC: remove this network's attachments not in the valid list. */
  async gc(): Promise<void> {
    const valid = new Set((this.conf.validAttachments ?? []).map((a) => portName(this.conf.name, a.containerId, a.ifname)));
    const prefix = portPrefix(this.conf.name);
    const stale = new Map<string, AttachmentRecord>();
    for (const r of listRecords(this.policy.stateDir)) {
      if (r.netName === this.conf.name && !valid.has(r.port)) stale.set(r.port, r);
    }
    // Ports whose record was lost (a crash between CreatePort and the record).
    const c = this.c;
    const ports = await rpc('list ports', () => c.unary(c.ports, c.ports.ListPorts, { network: this.conf.network }));
    for (const p of ports.ports) {
      const n = p.spec!.name;
      if (n.startsWith(prefix) && !valid.has(n) && !stale.has(n)) {
        stale.set(n, { port: n, netName: this.conf.name, containerId: '', ifname: '', deviceInfoFile: deviceInfoPath(undefined, this.policy.deviceInfoDir, n), hugepages: true });
      }
    }
    for (const r of stale.values()) await this.release(r);
  }

  /** CNI 1.1 STATUS: ready when fastpathd answers. */
  async status(): Promise<void> {
    try {
      await this.c.unary(this.c.system, this.c.system.GetSystemInfo, {});
    } catch (e) {
      throw new CniError(CNI_ERR.notAvailable, 'fastpathd is not answering', (e as grpc.ServiceError).details ?? (e as Error).message);
    }
  }
}
