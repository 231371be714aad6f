// SPDX-License-Identifier: Apache-2.0
// fpctl hugepages pool | reserve | release | list.
import type { PageSize__Output } from '../../api/gen/fastpath/v1/PageSize.js';
import type { Reservation__Output } from '../../api/gen/fastpath/v1/Reservation.js';
import { RANGES } from '../../dataplane/limits.js';
import { choiceOption, intOption, intValue, modeOption } from '../args.js';
import type { CommandSpec } from '../command.js';
import { formatMode } from '../format.js';
import { renderTable } from '../table.js';

const sizeName = (p: PageSize__Output): string => (p === 'PAGE_SIZE_1G' ? '1G' : '2M');
const mib = (pages: number, pageBytes: number): string => `${(pages * pageBytes) / (1 << 20)} MiB`;

function describe(r: Reservation__Output): string {
  return `${r.sizeMib} MiB in ${r.pages} pages of ${sizeName(r.pageSize)} at ${r.mountPath}`;
}

export const hugepagesPool: CommandSpec = {
  words: ['hugepages', 'pool'],
  args: [],
  summary: 'the host hugepage pools: total, free, reserved by fastpath, available',
  async run(ctx) {
    const c = ctx.client;
    const res = await c.unary(c.hugepages, c.hugepages.GetPool, {});
    if (ctx.json) return ctx.printJson(res);
    ctx.print(renderTable(
      [{ header: 'PAGE' }, { header: 'TOTAL', align: 'right' }, { header: 'FREE', align: 'right' }, { header: 'KERNEL-RSVD', align: 'right' },
        { header: 'RESERVED', align: 'right' }, { header: 'FASTPATH', align: 'right' }, { header: 'AVAILABLE', align: 'right' }],
      res.pools.map((p) => [sizeName(p.pageSize), String(p.total), String(p.free), String(p.kernelReserved),
        String(p.reservedByFastpath), String(p.usedByFastpath), `${p.available} (${mib(p.available, Number(p.pageBytes))})`]),
    ));
  },
};

export const hugepagesReserve: CommandSpec = {
  words: ['hugepages', 'reserve'],
  args: ['<owner>', '<MiB>'],
  summary: 'reserve hugepages for an owner as its own hugetlbfs mount with a size quota',
  details: 'A port named like the owner gets --huge-dir and -m in its attach arguments.',
  options: {
    'page-size': { type: 'string', value: '2M|1G', help: 'page size (default 2M)' },
    mode: { type: 'string', value: 'MODE', help: 'mount directory mode, octal (default 0770)' },
    uid: { type: 'string', value: 'UID', help: 'mount owner uid' },
    gid: { type: 'string', value: 'GID', help: 'mount group gid' },
  },
  async run(ctx, [owner, size], opts) {
    const c = ctx.client;
    const page = choiceOption(opts, 'page-size', ['2M', '1G'] as const);
    const mode = modeOption(opts, 'mode');
    const uid = intOption(opts, 'uid', RANGES.id);
    const gid = intOption(opts, 'gid', RANGES.id);
    const res = await c.unary(c.hugepages, c.hugepages.Reserve, {
      owner, sizeMib: intValue(size!, '<MiB>', RANGES.hugepageMib), pageSize: page === '1G' ? 'PAGE_SIZE_1G' : 'PAGE_SIZE_2M',
      ...(mode !== undefined ? { mode } : {}), ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}),
    });
    if (ctx.json) return ctx.printJson(res);
    const r = res.reservation!;
    ctx.print(res.created ? `reserved ${describe(r)}` : `${owner} already had this reservation: ${describe(r)}; nothing changed`);
    if (res.poolGrownBy > 0) ctx.print(`the host pool was grown by ${res.poolGrownBy} pages to make room`);
    ctx.print(`container: -v ${r.mountPath}:/dev/hugepages, EAL: --huge-dir=/dev/hugepages -m ${r.sizeMib}`);
  },
};

export const hugepagesRelease: CommandSpec = {
  words: ['hugepages', 'release'],
  args: ['<owner>'],
  summary: 'unmount and remove a reservation (refused while in use, unless --force)',
  options: {
    force: { type: 'boolean', help: 'release even while processes still use it' },
    'if-exists': { type: 'boolean', help: 'succeed when there is no such reservation' },
  },
  async run(ctx, [owner], opts) {
    const c = ctx.client;
    const res = await c.unary(c.hugepages, c.hugepages.Release, {
      owner, force: opts.force === true, allowMissing: opts['if-exists'] === true,
    });
    if (ctx.json) return ctx.printJson(res);
    ctx.print(`released the hugepages of ${owner}`);
  },
};

export const hugepagesList: CommandSpec = {
  words: ['hugepages', 'list'],
  args: [],
  summary: 'list hugepage reservations',
  async run(ctx) {
    const c = ctx.client;
    const res = await c.unary(c.hugepages, c.hugepages.List, {});
    if (ctx.json) return ctx.printJson(res);
    if (res.reservations.length === 0) return ctx.note('no reservations (make one with: fpctl hugepages reserve <owner> <MiB>)');
    ctx.print(renderTable(
      [{ header: 'OWNER' }, { header: 'SIZE', align: 'right' }, { header: 'PAGE' }, { header: 'USED', align: 'right' },
        { header: 'MODE' }, { header: 'MOUNTED' }, { header: 'MOUNT' }],
      res.reservations.map((r) => [r.owner, `${r.sizeMib} MiB`, sizeName(r.pageSize), `${BigInt(r.usedBytes) >> 20n} MiB`,
        formatMode(r.mode), r.mounted ? 'yes' : 'NO', r.mountPath]),
    ));
  },
};
