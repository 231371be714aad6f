// SPDX-License-Identifier: Apache-2.0
// fastpath.v1.HugepageService.
import { invalid } from '../core/errors.js';
import type { HugepageManager, PoolView, ReservationView } from '../core/hugepages/manager.js';
import type { Adapter } from './adapter.js';
import type { HugepageServiceHandlers } from './gen/fastpath/v1/HugepageService.js';
import type { PageSize } from './gen/fastpath/v1/PageSize.js';
import type { Pool } from './gen/fastpath/v1/Pool.js';
import type { Reservation } from './gen/fastpath/v1/Reservation.js';

const pageSizeOf = (kb: number): PageSize => (kb === 1048576 ? 'PAGE_SIZE_1G' : 'PAGE_SIZE_2M');

function kbOf(p: string | number): number {
  switch (p) {
    case 'PAGE_SIZE_UNSPECIFIED':
    case 'PAGE_SIZE_2M':
      return 2048;
    case 'PAGE_SIZE_1G':
      return 1048576;
    default:
      throw invalid(`unknown page size ${String(p)}`);
  }
}

function toPool(p: PoolView): Pool {
  return {
    pageSize: pageSizeOf(p.pageKb), pageBytes: p.pageKb * 1024, total: p.total, free: p.free,
    kernelReserved: p.kernelReserved, reservedByFastpath: p.reservedByFastpath, usedByFastpath: p.usedByFastpath,
    available: p.available,
  };
}

export function toReservation(r: ReservationView): Reservation {
  const h = r.record;
  return {
    owner: h.owner, sizeMib: h.sizeMib, pageSize: pageSizeOf(h.pageKb), mountPath: r.mountPath, mode: h.mode,
    ...(h.uid !== undefined ? { uid: h.uid } : {}), ...(h.gid !== undefined ? { gid: h.gid } : {}),
    pages: r.pages, usedBytes: r.usedBytes, mounted: r.mounted,
  };
}

export function hugepageService(hp: HugepageManager, a: Adapter): HugepageServiceHandlers {
  return {
    GetPool: a.unary('GetPool', async () => ({ pools: hp.pools().map(toPool) })),
    Reserve: a.unary('Reserve', async (req) => {
      const { reservation, created, grownBy } = await hp.reserve({
        owner: req.owner, sizeMib: Number(req.sizeMib), pageKb: kbOf(req.pageSize), mode: req.mode,
        ...(req.uid !== undefined && req.uid !== null ? { uid: req.uid } : {}),
        ...(req.gid !== undefined && req.gid !== null ? { gid: req.gid } : {}),
      });
      return { reservation: toReservation(reservation), created, poolGrownBy: grownBy };
    }),
    Release: a.unary('Release', async (req) => {
      await hp.release(req.owner, req.force, req.allowMissing);
      return {};
    }),
    List: a.unary('List', async () => ({ reservations: hp.list().map(toReservation) })),
  };
}
