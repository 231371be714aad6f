// SPDX-License-Identifier: Apache-2.0
// Records what a real TRex answers to every call the client makes, as test
// data for the fake TRex of the unit tests (test/data/trex/v<version>.json):
//   npx tsx bench/trex/record.ts [--server HOST] [--rpc-port N] [--out FILE]
// TRex must run in interactive mode with two ports (the emitted config);
// port 0 is acquired, sends 1,000 frames at 1,000 pps, and is released.
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { STL_API, TrexClient } from './client.js';
import { TrexRpcError } from './rpc-codec.js';
import { profileStreams } from './streams.js';
import { sleep } from '../../test/harness/wait.js';

export interface Recorded {
  method: string;
  params: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string; specific?: string };
}

export interface Recording {
  trex: string;
  recorded: string;
  calls: Recorded[];
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<void> {
  const arg = (k: string): string | undefined => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1] : undefined; };
  const c = await TrexClient.connect({ host: arg('server') ?? '127.0.0.1', port: Number(arg('rpc-port') ?? 4501), timeoutMs: 5000 });
  const calls: Recorded[] = [];
  const call = async (method: string, params: Record<string, unknown> = {}): Promise<unknown> => {
    try {
      const result = await c.call(method, params);
      calls.push({ method, params, result });
      return result;
    } catch (e) {
      if (!(e instanceof TrexRpcError)) throw e;
      calls.push({ method, params, error: { code: e.code, message: e.message, ...(e.specific ? { specific: e.specific } : {}) } });
      return undefined;
    }
  };
  try {
    const v = (await call('get_version')) as { version: string };
    await call('get_system_info');
    for (const port of [0, 1]) await call('get_port_status', { port_id: port });
    const handler = await call('acquire', { port_id: 0, user: 'record', session_id: 1, force: true });
    const owned = { port_id: 0, handler };
    await call('remove_all_streams', owned);
    const st = (await call('get_port_status', { port_id: 0 })) as { attr: { layer_cfg: { ether: { src: string; dst: string } } } };
    const stream = profileStreams('64b-1flow', 0, { srcMac: st.attr.layer_cfg.ether.src, dstMac: st.attr.layer_cfg.ether.dst })[0]!;
    await call('add_stream', { ...owned, stream_id: 1, stream });
    await call('get_port_stats', { port_id: 0 });
    await call('start_traffic', { ...owned, mul: { type: 'pps', op: 'abs', value: 1000 }, duration: 1, force: true });
    await call('get_port_status', { port_id: 0 });
    await sleep(1500);
    await call('get_port_stats', { port_id: 0 });
    await call('stop_traffic', owned);
    await call('start_traffic', { port_id: 1, handler: 'not-ours', mul: { type: 'pps', op: 'abs', value: 1 }, duration: 1, force: true });
    await call('release', owned);
    await call('api_sync_v2', { ...STL_API }); // the handshake's answer (the client made its own at connect)
    const rec: Recording = { trex: v.version, recorded: new Date().toISOString(), calls };
    const out = arg('out') ?? join(ROOT, 'test', 'data', 'trex', `${v.version}.json`);
    await writeFile(out, `${JSON.stringify(rec, null, 2)}\n`);
    console.log(`recorded ${calls.length} calls of TRex ${v.version} into ${out}`);
  } finally {
    await c.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
