// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';

import { defaultDataplaneConfig } from '../../src/dataplane/config.js';
import { planEal } from '../../src/dataplane/eal-args.js';

const cfg = { ...defaultDataplaneConfig(), filePrefix: 'fp-unit', memoryMb: 256 };
const mounted = { free2M: 1024, mounts: ['/dev/hugepages'] };

describe('EAL argument planning', () => {
  it('pins lcore 0 (fp-ctl) and one lcore per worker CPU', () => {
    const p = planEal({ ...cfg, mainCpu: 0, workerCpus: [1, 3] }, mounted);
    expect(p.argv).toEqual(expect.arrayContaining(['--lcores', '0@(0),1@(1),2@(3)', '--main-lcore', '0', '--file-prefix', 'fp-unit']));
  });

  it('uses hugepages on our own mount when enough are free', () => {
    const p = planEal(cfg, mounted);
    expect(p.hugePages).toBe(true);
    expect(p.argv).toEqual(expect.arrayContaining(['--huge-dir', '/dev/hugepages', '--huge-unlink', '-m', '256', '--socket-limit', '256']));
    expect(p.argv).not.toContain('--no-huge');
  });

  it('falls back to --no-huge, and says why, when pages are short or unmounted', () => {
    const short = planEal(cfg, { free2M: 10, mounts: ['/dev/hugepages'] });
    expect(short.argv).toContain('--no-huge');
    expect(short.memoryReason).toMatch(/only 10 free 2 MiB hugepages \(128 needed\)/);
    const none = planEal(cfg, { free2M: 1024, mounts: [] });
    expect(none.argv).toContain('--no-huge');
    expect(none.memoryReason).toMatch(/not a hugetlbfs mount/);
  });

  it("refuses when hugepages are required ('on') but missing", () => {
    expect(() => planEal({ ...cfg, hugepages: 'on' }, { free2M: 0, mounts: ['/dev/hugepages'] })).toThrow(/hugepages required/);
  });

  it("honours hugepages: 'off'", () => {
    expect(planEal({ ...cfg, hugepages: 'off' }, mounted).argv).toContain('--no-huge');
  });

  it('lets worker lcores share a CPU, and says which', () => {
    const plan = planEal({ ...cfg, mainCpu: 0, workerCpus: [1, 1, 0] }, mounted);
    expect(plan.argv[plan.argv.indexOf('--lcores') + 1]).toBe('0@(0),1@(1),2@(1),3@(0)');
    expect(plan.sharedCpus.sort()).toEqual([0, 1]);
    expect(planEal({ ...cfg, mainCpu: 0, workerCpus: [1] }, mounted).sharedCpus).toEqual([]);
  });

  it('rejects bad CPU lists and file prefixes', () => {
    expect(() => planEal({ ...cfg, workerCpus: [] }, mounted)).toThrow(/at least one worker/);
    expect(() => planEal({ ...cfg, workerCpus: Array.from({ length: 17 }, () => 1) }, mounted)).toThrow(/at most 16/);
    expect(() => planEal({ ...cfg, filePrefix: '../x' }, mounted)).toThrow(/file prefix/);
  });
});
