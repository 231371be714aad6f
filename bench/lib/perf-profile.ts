// SPDX-License-Identifier: Apache-2.0
// Where the forwarding CPU's cycles go: `perf record` on that CPU for a few
// seconds, then the functions over 1% of the samples, each put in the part
// of the switch it belongs to. Software clock samples (cpu-clock): VMs such
// as this one have no hardware PMU, so there are no cache-miss counts, only
// where the time is spent.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProfileEntry {
  symbol: string;
  percent: number;
  part: string;
}

export interface Profile {
  seconds: number;
  top: ProfileEntry[];
  /** Share of the samples per part of the switch. */
  parts: Record<string, number>;
}

/** The part of the switch a symbol of the forwarding thread belongs to. */
export function partOf(symbol: string): string {
  if (/^(fp_|fpx_)/.test(symbol)) return 'fastpath';
  if (/^(rte_hash|__rte_hash|rte_jhash|rte_hash_crc|__hash|__bulk_lookup|search_one_bucket|search_and_|compare_signatures)/.test(symbol)) return 'rte_hash';
  // rte_hash compares keys of sizes it has no compare function for with memcmp.
  if (/^__?mem(cmp|cpy|set)/.test(symbol)) return 'libc';
  if (/^(rte_acl|search_|acl_|resolve_|match_)/.test(symbol)) return 'rte_acl';
  if (/^(rte_vhost|virtio_|vhost_|reserve_avail|fill_vec|do_data_copy|copy_|sync_fill|flush_shadow|vring_|desc_to|mbuf_to|async_|free_zmbuf|update_shadow)/.test(symbol)) return 'librte_vhost';
  if (/^(rte_pktmbuf|rte_mempool|common_ring|__rte_ring|rte_ring|bucket_)/.test(symbol)) return 'mbufs';
  if (/^(pkt_burst|io_forward|run_pkt_fwd|start_pkt_forward|eth_vhost|rte_eth_)/.test(symbol)) return 'testpmd';
  if (/^\[k\]|^(pvm_|native_|asm_|irq|__sysvec)/.test(symbol)) return 'kernel';
  return 'other';
}

/** Parse `perf report --stdio --sort symbol --no-children` (lines "  22.60%  [.] fp_worker_main"). */
export function parsePerfReport(text: string, minPercent = 1): ProfileEntry[] {
  const out: ProfileEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([\d.]+)%\s+\[([.k])\]\s+(\S+)/.exec(line);
    if (!m) continue;
    const percent = Number(m[1]);
    if (percent < minPercent) continue;
    const symbol = m[3]!;
    out.push({ symbol, percent, part: m[2] === 'k' ? 'kernel' : partOf(symbol) });
  }
  return out;
}

export function perfAvailable(): boolean {
  return spawnSync('perf', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Profile `cpu` for `seconds`; undefined when perf cannot (absent, not permitted). */
export async function profileCpu(cpu: number, seconds: number): Promise<Profile | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'fp-perf-'));
  const data = join(dir, 'perf.data');
  try {
    const code = await new Promise<number | null>((done) => {
      const p = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-C', String(cpu), '-o', data, '--', 'sleep', String(seconds)], { stdio: 'ignore' });
      p.once('error', () => done(-1));
      p.once('exit', (c) => done(c));
    });
    if (code !== 0) return undefined;
    const r = spawnSync('perf', ['report', '-i', data, '--stdio', '--no-children', '--sort', 'symbol', '--percent-limit', '0.5'], {
      encoding: 'utf8', maxBuffer: 64 * 2 ** 20,
    });
    if (r.status !== 0) return undefined;
    const all = parsePerfReport(r.stdout, 0.5);
    const parts: Record<string, number> = {};
    for (const e of all) parts[e.part] = Math.round(((parts[e.part] ?? 0) + e.percent) * 10) / 10;
    return { seconds, top: all.filter((e) => e.percent >= 1).slice(0, 12), parts };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
