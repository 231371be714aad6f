// SPDX-License-Identifier: Apache-2.0
// Per-owner hugepage reservations: a hugetlbfs mount each, with size= (the
// kernel stops the owner there) and min_size= (the kernel sets the pages
// aside at mount time). The ledger never promises more than the host can
// give: free pages minus pages the kernel already holds for others.
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

import { validateName } from '../../dataplane/index.js';
import { inRange, RANGES, rangeText } from '../../dataplane/limits.js';
import { exhausted, exists, invalid, notFound, precondition } from '../errors.js';
import type { HugepageRecord } from '../state.js';
import type { StateKeeper } from '../state-keeper.js';
import { holders, inspectMount, mountHugetlbfs, unmount, type MountSpec } from './mounts.js';
import { growPool, pageLabel, pageSizes, readPool } from './pool.js';

export interface HugepageConfig {
  /** Reservations are mounted at <root>/<owner>. */
  root: string;
  /** Pages of each size never handed out (for the host and fastpath itself). */
  headroomPages: number;
  /** Raise nr_hugepages when the pool is short, instead of refusing. */
  allowGrowPool: boolean;
}

export interface PoolView {
  pageKb: number;
  total: number;
  free: number;
  kernelReserved: number;
  reservedByFastpath: number;
  usedByFastpath: number;
  available: number;
}

export interface ReservationView {
  record: HugepageRecord;
  mountPath: string;
  pages: number;
  usedBytes: number;
  mounted: boolean;
}

export interface ReserveRequest {
  owner: string;
  sizeMib: number;
  pageKb?: number;
  mode?: number;
  uid?: number;
  gid?: number;
}

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class HugepageManager {
  constructor(
    private readonly keeper: StateKeeper,
    private readonly cfg: HugepageConfig,
    /** 2 MiB pages the data plane itself holds (0 with --no-huge). */
    private readonly dataplanePages: number,
    private readonly log: Logger,
  ) {}

  mountPath(owner: string): string {
    return join(this.cfg.root, owner);
  }

  pools(): PoolView[] {
    return pageSizes().flatMap((pageKb) => {
      const k = readPool(pageKb);
      if (!k) return [];
      const ours = this.keeper.state.hugepages.filter((h) => h.pageKb === pageKb);
      return [{
        pageKb,
        total: k.total,
        free: k.free,
        kernelReserved: k.reserved,
        reservedByFastpath: ours.reduce((n, h) => n + this.pagesOf(h), 0),
        usedByFastpath: pageKb === 2048 ? this.dataplanePages : 0,
        available: Math.max(0, k.free - k.reserved - this.cfg.headroomPages),
      }];
    });
  }

  list(): ReservationView[] {
    return [...this.keeper.state.hugepages].sort((a, b) => a.owner.localeCompare(b.owner)).map((h) => this.view(h));
  }

  get(owner: string): ReservationView | undefined {
    const h = this.keeper.state.hugepages.find((x) => x.owner === owner);
    return h ? this.view(h) : undefined;
  }

  reserve(req: ReserveRequest): Promise<{ reservation: ReservationView; created: boolean; grownBy: number }> {
    return this.keeper.serial(async () => {
      const owner = validateName('owner', req.owner);
      const pageKb = req.pageKb ?? 2048;
      if (pageKb !== 2048 && pageKb !== 1048576) throw invalid(`page size must be 2M or 1G, got ${pageKb} kB`);
      if (!Number.isInteger(req.sizeMib) || req.sizeMib < 1 || req.sizeMib > 1 << 22) {
        throw invalid(`size must be a whole number of MiB in 1..${1 << 22}, got ${String(req.sizeMib)}`);
      }
      if ((req.sizeMib * 1024) % pageKb !== 0) {
        throw invalid(`size ${req.sizeMib} MiB is not a whole number of ${pageLabel(pageKb)} pages`);
      }
      const mode = req.mode === undefined || req.mode === 0 ? 0o770 : req.mode;
      if (!inRange(RANGES.dirMode, mode)) throw invalid(`mode must be ${rangeText(RANGES.dirMode)}, got ${String(req.mode)}`);
      for (const [what, id] of [['uid', req.uid], ['gid', req.gid]] as const) {
        if (id !== undefined && !inRange(RANGES.id, id)) throw invalid(`${what} must be an integer in ${rangeText(RANGES.id)}, got ${String(id)}`);
      }
      const rec: HugepageRecord = {
        owner, sizeMib: req.sizeMib, pageKb, mode,
        ...(req.uid !== undefined ? { uid: req.uid } : {}),
        ...(req.gid !== undefined ? { gid: req.gid } : {}),
      };
      const have = this.keeper.state.hugepages.find((h) => h.owner === owner);
      if (have) {
        if (have.sizeMib === rec.sizeMib && have.pageKb === rec.pageKb && have.mode === rec.mode && have.uid === rec.uid && have.gid === rec.gid) {
          return { reservation: this.view(have), created: false, grownBy: 0 };
        }
        throw exists(`owner ${owner} already has a reservation of ${have.sizeMib} MiB in ${pageLabel(have.pageKb)} pages`);
      }
      let pool = readPool(pageKb);
      if (!pool) throw precondition(`this host has no ${pageLabel(pageKb)} hugepage pool`);
      const pages = this.pagesOf(rec);
      let available = Math.max(0, pool.free - pool.reserved - this.cfg.headroomPages);
      let grownBy = 0;
      if (pages > available && this.cfg.allowGrowPool) {
        const before = pool.total;
        growPool(pageKb, pool.total + (pages - available));
        pool = readPool(pageKb)!;
        grownBy = Math.max(0, pool.total - before);
        available = Math.max(0, pool.free - pool.reserved - this.cfg.headroomPages);
        this.log.info({ pageSize: pageLabel(pageKb), from: before, to: pool.total }, 'hugepage pool grown');
      }
      if (pages > available) {
        throw exhausted(
          `asked ${rec.sizeMib} MiB (${pages} pages of ${pageLabel(pageKb)}) for ${owner}, ` +
          `but only ${available} pages (${(available * pageKb) / 1024} MiB) of ${pageLabel(pageKb)} are available ` +
          `(${pool.free} free, ${pool.reserved} already reserved, ${this.cfg.headroomPages} kept as headroom)`,
        );
      }
      const spec = this.mountSpec(rec);
      await mkdir(spec.path, { recursive: true, mode: 0o700 });
      try {
        await mountHugetlbfs(spec);
      } catch (e) {
        await rmdir(spec.path).catch(() => undefined);
        const msg = (e as { stderr?: string }).stderr ?? (e as Error).message;
        if (/Cannot allocate memory/.test(msg)) {
          throw exhausted(`the kernel could not set aside ${pages} pages of ${pageLabel(pageKb)} for ${owner}`);
        }
        throw e;
      }
      await this.keeper.commit({ ...this.keeper.state, hugepages: [...this.keeper.state.hugepages, rec] }, async () => {
        await unmount(spec.path, true);
        await rmdir(spec.path);
      });
      this.log.info({ owner, sizeMib: rec.sizeMib, pageSize: pageLabel(pageKb), mount: spec.path }, 'hugepages reserved');
      return { reservation: this.view(rec), created: true, grownBy };
    });
  }

  release(owner: string, force: boolean, allowMissing: boolean): Promise<void> {
    return this.keeper.serial(async () => {
      const rec = this.keeper.state.hugepages.find((h) => h.owner === owner);
      if (!rec) {
        if (allowMissing) return;
        throw notFound(`no hugepage reservation for owner ${owner}`);
      }
      const spec = this.mountSpec(rec);
      const st = inspectMount(spec);
      if (st.mounted) {
        // Forced (the CNI plugin's DEL: the pod is gone) needs no scan of
        // every process: a lazy unmount is immediate when nobody holds the
        // pages, and the kernel frees them when the last user goes.
        const users = force ? [] : await holders(spec.path);
        if (users.length > 0) {
          throw precondition(
            `hugepages of ${owner} are in use by ${users.map((u) => `pid ${u.pid} (${u.command})`).join(', ')}; ` +
            'stop it first, or release with force',
          );
        }
        await unmount(spec.path, force);
      }
      await rmdir(spec.path).catch(() => undefined);
      await this.keeper.commit({ ...this.keeper.state, hugepages: this.keeper.state.hugepages.filter((h) => h.owner !== owner) });
      this.log.info({ owner, forced: force }, 'hugepages released');
    });
  }

  /** At start: every recorded reservation mounted as recorded, or re-mounted. */
  async verify(): Promise<{ ok: number; remounted: string[]; differing: string[]; failed: string[] }> {
    const r = { ok: 0, remounted: [] as string[], differing: [] as string[], failed: [] as string[] };
    for (const rec of this.keeper.state.hugepages) {
      const spec = this.mountSpec(rec);
      const st = inspectMount(spec);
      if (st.mounted && st.matches) {
        r.ok++;
      } else if (st.mounted) {
        r.differing.push(rec.owner);
        this.log.warn({ owner: rec.owner, mount: spec.path }, 'hugepage mount differs from its reservation; left as is');
      } else {
        try {
          await mkdir(spec.path, { recursive: true, mode: 0o700 });
          await mountHugetlbfs(spec);
          r.remounted.push(rec.owner);
        } catch (e) {
          r.failed.push(rec.owner);
          this.log.warn({ owner: rec.owner, err: (e as Error).message }, 'hugepage reservation could not be re-mounted');
        }
      }
    }
    return r;
  }

  private pagesOf(h: HugepageRecord): number {
    return Math.ceil((h.sizeMib * 1024) / h.pageKb);
  }

  private mountSpec(h: HugepageRecord): MountSpec {
    return {
      path: this.mountPath(h.owner), pageKb: h.pageKb, sizeMib: h.sizeMib, mode: h.mode,
      ...(h.uid !== undefined ? { uid: h.uid } : {}), ...(h.gid !== undefined ? { gid: h.gid } : {}),
    };
  }

  private view(h: HugepageRecord): ReservationView {
    const st = inspectMount(this.mountSpec(h));
    return { record: h, mountPath: this.mountPath(h.owner), pages: this.pagesOf(h), usedBytes: st.usedBytes, mounted: st.mounted && st.matches };
  }
}


