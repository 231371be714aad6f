// SPDX-License-Identifier: Apache-2.0
// Networks' kernel exception interfaces: validation of the spec, creation
// (data plane port, punt classes, kernel-side configuration) that undoes
// itself when a step fails, removal, re-creation at replay, and status.
import type { NativePuntClass, SwitchPlane } from '../../dataplane/index.js';
import { invalid } from '../errors.js';
import {
  checkCanCreate, configureKernelIface, defaultIfaceName, kernelIfaceStatus, validateAddress, validateIfaceName,
  validateNetns, type KernelIfaceStatus,
} from './kernel-iface.js';
import { chooseExceptionPath, probeVhostNet, type ExceptionPath } from './exception-path.js';

/** Gateway addresses per kernel interface: each is an `ip addr` call at every start. */
export const MAX_ADDRESSES = 16;

export type PuntConf = Record<string, NativePuntClass>;

/** Conservative defaults: the kernel gets what a gateway needs, each class capped. */
export const DEFAULT_PUNT: PuntConf = {
  arp_nd: { enabled: true, pps: 1000, burst: 100 },
  gateway: { enabled: true, pps: 10_000, burst: 1000 },
  dhcp: { enabled: true, pps: 100, burst: 20 },
  lldp: { enabled: true, pps: 10, burst: 5 },
  unknown: { enabled: false, pps: 1000, burst: 100 },
  flow: { enabled: true, pps: 10_000, burst: 1000 },
  other: { enabled: true, pps: 1000, burst: 100 },
};
const MAX_PPS = 10_000_000;

export interface KernelRecord {
  name: string;
  addresses: string[];
  netns?: string;
  /** Allocated from the MAC pool, kept across restarts. */
  mac: string;
  punt: PuntConf;
}

export interface KernelRequest {
  name?: string;
  addresses?: string[];
  netns?: string;
  punt?: Record<string, Partial<NativePuntClass>>;
}

interface Logger {
  info(obj: object, msg: string): void;
}

export class KernelInterfaces {
  constructor(
    private readonly dp: SwitchPlane,
    /** auto, vhost-net or tap (config). */
    readonly mode: string,
    private readonly log: Logger,
    private readonly probe: () => string | undefined = probeVhostNet,
  ) {}

  /** Chosen now, each time: FAILED_PRECONDITION when vhost-net is forced and does not work. */
  get path(): ExceptionPath {
    return chooseExceptionPath(this.mode, this.probe);
  }

  /** The path, or kind "none" and why not: for logs and SystemService. */
  describe(): { kind: string; reason: string } {
    try {
      return this.path;
    } catch (e) {
      return { kind: 'none', reason: (e as Error).message };
    }
  }

  /** Validate and fill defaults (no MAC yet). */
  normalise(network: string, req: KernelRequest): Omit<KernelRecord, 'mac'> {
    const name = validateIfaceName(req.name || defaultIfaceName(network));
    if ((req.addresses ?? []).length > MAX_ADDRESSES) throw invalid(`a kernel interface takes at most ${MAX_ADDRESSES} gateway addresses`);
    const addresses = [...new Set((req.addresses ?? []).map(validateAddress))];
    const classes = this.dp.puntClassNames();
    const punt: PuntConf = {};
    for (const c of classes) punt[c] = { ...(DEFAULT_PUNT[c] ?? { enabled: false, pps: 1000, burst: 100 }) };
    for (const [c, v] of Object.entries(req.punt ?? {})) {
      if (!classes.includes(c)) throw invalid(`unknown punt class ${c} (known: ${classes.join(', ')})`);
      const x = { ...punt[c]!, ...Object.fromEntries(Object.entries(v).filter(([, y]) => y !== undefined)) } as NativePuntClass;
      if (!Number.isInteger(x.pps) || x.pps < 1 || x.pps > MAX_PPS) throw invalid(`punt class ${c}: pps must be 1..${MAX_PPS}, got ${x.pps}`);
      if (!Number.isInteger(x.burst) || x.burst < 1 || x.burst > x.pps) throw invalid(`punt class ${c}: burst must be 1..pps (${x.pps}), got ${x.burst}`);
      punt[c] = x;
    }
    return { name, addresses, ...(req.netns ? { netns: validateNetns(req.netns) } : {}), punt };
  }

  /** Refuse names in use and missing namespaces before anything is made. */
  async precheck(rec: Omit<KernelRecord, 'mac'>): Promise<void> {
    void this.path; // throws when the configured path cannot work
    await checkCanCreate(rec.name, rec.netns);
  }

  /** Make it; on failure, what was made is removed again. */
  async create(network: string, rec: KernelRecord, mtu: number): Promise<void> {
    const path = this.path;
    await this.dp.addKernelPort(network, rec.name, path.kind, rec.mac);
    try {
      await this.dp.setPunt(network, rec.punt);
      await configureKernelIface({ name: rec.name, addresses: rec.addresses, mtu, ...(rec.netns ? { netns: rec.netns } : {}) });
    } catch (e) {
      await this.dp.removeKernelPort(rec.name).catch(() => undefined);
      throw e;
    }
    this.log.info({ network, iface: rec.name, kind: path.kind, reason: path.reason, addresses: rec.addresses, netns: rec.netns }, 'kernel interface up');
  }

  async remove(rec: KernelRecord): Promise<void> {
    await this.dp.removeKernelPort(rec.name);
  }

  async status(network: string, rec: KernelRecord): Promise<{ iface?: KernelIfaceStatus; punt: Record<string, { passed: bigint; policed: bigint }> }> {
    const iface = await kernelIfaceStatus(rec.name, rec.netns).catch(() => undefined);
    return { ...(iface ? { iface } : {}), punt: await this.dp.puntStats(network) };
  }
}

export function sameKernel(a: KernelRecord | undefined, b: Omit<KernelRecord, 'mac'> | undefined): boolean {
  if (!a || !b) return a === undefined && b === undefined;
  return a.name === b.name && a.netns === b.netns &&
    JSON.stringify([...a.addresses].sort()) === JSON.stringify([...b.addresses].sort()) &&
    JSON.stringify(a.punt) === JSON.stringify(b.punt);
}
