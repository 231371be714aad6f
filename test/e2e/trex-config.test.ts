// SPDX-License-Identifier: Apache-2.0
// The TRex config generator against a real fastpathd: it creates the bench
// network and two memif ports (idempotently), and the trex_cfg.yaml it
// writes, parsed back, points at exactly those ports' sockets and MACs.
// TRex itself cannot run here; what it would read is checked instead.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { DEFAULT_TREX_CFG } from '../../bench/trex/config.js';
import { DEFAULT_RING_LOG2 } from '../../bench/trex/args.js';
import { emitTrexConfig, type EmitOptions } from '../../bench/trex/emit-config.js';
import { Daemon } from '../helpers/daemon.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let d: Daemon;
let out: string;

interface TrexCfg {
  version: number;
  interfaces: string[];
  port_info: { src_mac: string; dest_mac: string }[];
  platform: { master_thread_id: number; latency_thread_id: number; dual_if: { socket: number; threads: number[] }[] };
  c: number;
  prefix: string;
  limit_memory: number;
}

/** key=value pairs of a --vdev string. */
function vdevArgs(s: string): { driver: string; kv: Record<string, string> } {
  const [driver, ...rest] = s.replace(/^--vdev=/, '').split(',');
  return { driver: driver!, kv: Object.fromEntries(rest.map((x) => x.split('=') as [string, string])) };
}

describe('bench:trex --emit-config against fastpathd', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('trexcfg'));
    out = await mkdtemp(join(tmpdir(), 'fp-trex-cfg-'));
  });

  afterAll(async () => {
    await d.dispose();
    await rm(out, { recursive: true, force: true });
  });

  const opts = (): EmitOptions => ({
    outDir: out, network: 'trex-bench', portNames: ['trex0', 'trex1'], ringLog2: DEFAULT_RING_LOG2,
    cfg: DEFAULT_TREX_CFG, endpoint: `unix://${d.paths.grpcSocket}`,
  });

  it('creates the network and two memif ports, and the config matches them', async () => {
    const r = await emitTrexConfig(d.client, opts());
    expect(r.created).toEqual({ network: true, ports: [true, true] });
    const c = d.client;
    const listed = (await c.unary(c.ports, c.ports.ListPorts, { network: 'trex-bench' })).ports;
    const ports = ['trex0', 'trex1'].map((n) => listed.find((p) => p.spec!.name === n)!);
    for (const p of ports) {
      expect(p.spec).toMatchObject({ type: 'PORT_TYPE_MEMIF', network: 'trex-bench', mode: 'PORT_MODE_SERVER' });
      expect((await stat(p.attach!.socketPath)).isSocket()).toBe(true);
    }

    const cfg = (parse(await readFile(join(out, 'trex_cfg.yaml'), 'utf8')) as TrexCfg[])[0]!;
    expect(cfg).toMatchObject({ version: 2, c: 1, prefix: 'trex-fastpath', limit_memory: 1024 });
    // The default layout is a 5-CPU host's (distinct master, latency, data plane); the CLI picks by this host's CPUs.
    expect(cfg.platform).toEqual({ master_thread_id: 2, latency_thread_id: 3, dual_if: [{ socket: 0, threads: [4] }] });
    expect(cfg.interfaces).toHaveLength(2);
    cfg.interfaces.forEach((s, i) => {
      const v = vdevArgs(s);
      expect(v.driver).toBe(`net_memif${i}`);
      expect(v.kv).toEqual({ role: 'client', socket: ports[i]!.attach!.socketPath, 'socket-abstract': 'no', id: '0', mac: ports[i]!.mac, rsize: '12', bsize: '2048' });
    });
    expect(cfg.port_info).toEqual([
      { src_mac: ports[0]!.mac, dest_mac: ports[1]!.mac },
      { src_mac: ports[1]!.mac, dest_mac: ports[0]!.mac },
    ]);
    for (const f of ['udp_1flow_64b.py', 'udp_10kflows_64b.py', 'imix.py']) {
      expect(await readFile(join(out, 'stl', f), 'utf8')).toMatch(/def register\(\):/);
    }
  });

  it('changes nothing when run again, through the npm script entry point', async () => {
    const before = await readFile(join(out, 'trex_cfg.yaml'), 'utf8');
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import', 'tsx', join(ROOT, 'bench', 'trex.ts'), '--emit-config', out, '--endpoint', `unix://${d.paths.grpcSocket}`, '--host-cpus', '8',
    ], { cwd: ROOT });
    expect(stdout).toMatch(/network trex-bench: already there/);
    expect(stdout).toMatch(/port trex0: already there, MAC 02:fa:57:/);
    const after = await readFile(join(out, 'trex_cfg.yaml'), 'utf8');
    // Only the header's timestamp differs.
    const body = (s: string): string => s.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    expect(body(after)).toBe(body(before));
    const c = d.client;
    expect((await c.unary(c.ports, c.ports.ListPorts, { network: 'trex-bench' })).ports).toHaveLength(2);
  });

  it('says what to do when a port of that name exists with another spec', async () => {
    const c = d.client;
    await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'vhost0', network: 'default' } });
    await expect(emitTrexConfig(d.client, { ...opts(), portNames: ['vhost0', 'trex1'] }))
      .rejects.toThrow(/port vhost0: .*delete it \(fpctl port del vhost0\) or pick other names with --port-names/);
  });
});
