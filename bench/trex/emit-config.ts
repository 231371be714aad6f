// SPDX-License-Identifier: Apache-2.0
// `npm run bench:trex -- --emit-config <dir>`: asks a running fastpathd for a
// bench network and two memif ports (idempotently: the same spec again
// changes nothing), then writes what TRex needs to use them: trex_cfg.yaml
// and the STL profiles.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import * as grpc from '@grpc/grpc-js';

import type { FastpathClient } from '../../src/api/client.js';
import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { trexConfigYaml, trexQueues, type MemifPort, type TrexCfgOptions } from './config.js';
import { PROFILE_FILES, profileSource } from './profiles.js';
import { PROFILES } from './streams.js';

export interface EmitOptions {
  outDir: string;
  network: string;
  portNames: readonly [string, string];
  /** memif ring size (log2), passed to CreatePort; undefined: fastpathd's default. */
  ringLog2: number | undefined;
  cfg: TrexCfgOptions;
  /** Written into the file header. */
  endpoint: string;
}

export interface Emitted {
  ports: [Port__Output, Port__Output];
  /** Whether each was created now (false: it already existed with this spec). */
  created: { network: boolean; ports: [boolean, boolean] };
  files: string[];
}

function hint(e: unknown, what: string, fix: string): Error {
  const err = e as Partial<grpc.ServiceError>;
  if (err.code === grpc.status.ALREADY_EXISTS) return new Error(`${what}: ${err.details ?? String(e)}; ${fix}`, { cause: e });
  return e instanceof Error ? e : new Error(String(e));
}

export function memifPort(p: Port__Output): MemifPort {
  if (!p.attach || !p.spec) throw new Error('CreatePort answered without attach information');
  return { name: p.spec.name, mac: p.mac, socketPath: p.attach.socketPath, vdev: p.attach.vdev };
}

export async function emitTrexConfig(c: FastpathClient, o: EmitOptions): Promise<Emitted> {
  const net = await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: o.network } })
    .catch((e: unknown) => { throw hint(e, `network ${o.network}`, `pick another with --network, or delete it (fpctl network del ${o.network})`); });
  const ports: Port__Output[] = [];
  const created: boolean[] = [];
  for (const name of o.portNames) {
    const r = await c.unary(c.ports, c.ports.CreatePort, {
      // As many queue pairs as TRex has data-plane threads: it opens one per thread.
      port: { name, network: o.network, type: 'PORT_TYPE_MEMIF', queues: trexQueues(o.cfg.threads), ...(o.ringLog2 !== undefined ? { memifRingLog2: o.ringLog2 } : {}) },
    }).catch((e: unknown) => { throw hint(e, `port ${name}`, `it exists with another spec: delete it (fpctl port del ${name}) or pick other names with --port-names`); });
    ports.push(r.port!);
    created.push(r.created);
  }
  const pair = [memifPort(ports[0]!), memifPort(ports[1]!)] as const;
  await mkdir(join(o.outDir, 'stl'), { recursive: true });
  const files: string[] = [];
  const cfgPath = join(o.outDir, 'trex_cfg.yaml');
  await writeFile(cfgPath, trexConfigYaml(pair, o.cfg, [
    `TRex on fastpath memif ports ${pair[0].name} and ${pair[1].name} (network ${o.network}),`,
    `written by \`npm run bench:trex -- --emit-config\` from ${o.endpoint} at ${new Date().toISOString()}.`,
    o.cfg.threads.kind === 'low-end'
      ? `Threads: TRex's low_end mode, every thread on CPU ${o.cfg.threads.core} (a small host; slow, but it starts).`
      : `Threads: master CPU ${o.cfg.threads.master}, latency CPU ${o.cfg.threads.latency}, data plane ${o.cfg.threads.workers.join(',')}; ${trexQueues(o.cfg.threads)} memif queue pair(s) per port.`,
    `Start TRex with: sudo ./t-rex-64 -i --cfg ${cfgPath}   (or ../shared/trex/run-trex --cfg ${cfgPath})`,
  ]));
  files.push(cfgPath);
  for (const p of PROFILES) {
    const f = join(o.outDir, 'stl', PROFILE_FILES[p]);
    await writeFile(f, profileSource(p));
    files.push(f);
  }
  return { ports: [ports[0]!, ports[1]!], created: { network: net.created, ports: [created[0]!, created[1]!] }, files };
}
