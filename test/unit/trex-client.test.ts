// SPDX-License-Identifier: Apache-2.0
// The TRex client against a fake TRex: a real ZeroMQ REP socket on loopback
// that answers as TRex's RPC server does (doc/trex_rpc_server_spec.asciidoc,
// src/rpc-server/trex_rpc_jsonrpc_v2_parser.cpp), and records what it was
// sent, so the tests check the requests' shape and the handling of results
// and errors. TRex itself cannot run here.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

import { afterEach, describe, expect, it } from 'vitest';
import { Reply } from 'zeromq';

import { TrexClient, TrexUnreachableError } from '../../bench/trex/client.js';
import { ipv4Checksum } from '../../bench/trex/frames.js';
import { buildRequest, decodeResponse, TREX_ERR, TrexRpcError, zipMessage } from '../../bench/trex/rpc-codec.js';
import { FLOWS, profileStreams, type TrexStream } from '../../bench/trex/streams.js';
import type { Recording } from '../../bench/trex/record.js';
import { RESULT_SHAPES, checkShape } from '../../bench/trex/shapes.js';
import { prepare, trexTrial } from '../../bench/trex/trex-trial.js';

interface Req { jsonrpc: string; id: number; method: string; params: Record<string, unknown> }
type Answer = { result: unknown } | { error: { code: number; message: string; specific_err?: string } } | { raw: Buffer };

const API_H = 'SPhoCDIV';

/** A fake TRex: answers each request with handle(req), as TRex would. */
class FakeTrex {
  readonly seen: Req[] = [];
  private readonly sock = new Reply({ linger: 0 });
  endpoint = '';
  private readonly done: Promise<void>;

  constructor(private readonly handle: (r: Req) => Answer) {
    this.done = Promise.resolve();
  }

  async start(): Promise<this> {
    await this.sock.bind('tcp://127.0.0.1:*');
    this.endpoint = this.sock.lastEndpoint!;
    void this.serve();
    return this;
  }

  private async serve(): Promise<void> {
    try {
      for await (const [msg] of this.sock) {
        const req = JSON.parse(msg!.toString()) as Req;
        this.seen.push(req);
        const a = this.handle(req);
        if ('raw' in a) await this.sock.send(a.raw);
        else await this.sock.send(JSON.stringify({ jsonrpc: '2.0', id: req.id, ...a }));
      }
    } catch {
      // closed
    }
  }

  get port(): number {
    return Number(/:(\d+)$/.exec(this.endpoint)![1]);
  }

  close(): void {
    this.sock.close();
    void this.done;
  }
}

/**
 * What TRex v3.08 answered to every call the client makes, recorded from the
 * real server (bench/trex/record.ts). The fake answers with these shapes,
 * changing only what the test drives (counters, state, handlers), so it
 * cannot drift from the real thing.
 */
const RECORDING = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'trex', 'v3.08.json'), 'utf8')) as Recording;
const recorded = (method: string, port?: number): unknown => {
  const all = RECORDING.calls.filter((c) => c.method === method && c.result !== undefined);
  const hit = all.find((c) => port === undefined || c.params.port_id === port) ?? all[0];
  if (!hit) throw new Error(`no recorded ${method} in test/data/trex/v3.08.json`);
  return structuredClone(hit.result);
};
/** The MACs TRex has for its ports, as recorded (from trex_cfg.yaml's port_info). */
const MACS = [0, 1].map((p) => (recorded('get_port_status', p) as { attr: { layer_cfg: { ether: { src: string } } } }).attr.layer_cfg.ether.src);

/** TRex's answers for a healthy server with two idle ports. */
function trexLike(extra: (r: Req) => Answer | undefined = () => undefined): (r: Req) => Answer {
  const stats = [0, 0].map(() => ({ opackets: 0, ipackets: 0 }));
  const state = ['IDLE', 'IDLE'];
  return (r) => {
    const x = extra(r);
    if (x) return x;
    const port = r.params.port_id as number | undefined;
    switch (r.method) {
      case 'api_sync_v2': return { result: { ...(recorded('api_sync_v2') as object), api_h: API_H } };
      case 'acquire': return { result: `handler-${String(port)}` };
      case 'get_port_status': return { result: { ...(recorded('get_port_status', port) as object), state: state[port!] } };
      case 'start_traffic': {
        // 1000 packets a second per port for `duration`; port 1 loses 10.
        const n = (r.params.mul as { value: number }).value * (r.params.duration as number);
        stats[port!]!.opackets += n;
        stats[1 - port!]!.ipackets += n - (port === 1 ? 10 : 0);
        return { result: recorded('start_traffic') };
      }
      case 'get_port_stats': {
        const s = stats[port!]!;
        return { result: { ...(recorded('get_port_stats') as object), ...s, obytes: s.opackets * 60, ibytes: s.ipackets * 60, m_total_tx_pps: 1000.5, m_total_rx_pps: 990.25 } };
      }
      default: {
        const rec = RECORDING.calls.find((c) => c.method === r.method && c.result !== undefined);
        return { result: rec ? structuredClone(rec.result) : {} };
      }
    }
  };
}

let fake: FakeTrex | undefined;
let client: TrexClient | undefined;
afterEach(() => {
  client?.close();
  fake?.close();
  client = undefined;
  fake = undefined;
});

async function connect(handle: (r: Req) => Answer): Promise<{ f: FakeTrex; c: TrexClient }> {
  fake = await new FakeTrex(handle).start();
  client = await TrexClient.connect({ host: '127.0.0.1', port: fake.port, timeoutMs: 2000, user: 'bench' });
  return { f: fake, c: client };
}

describe('TRex client messages', () => {
  it('syncs the STL API 5.1 first, then sends api_h with every call', async () => {
    const { f, c } = await connect(trexLike());
    await c.getVersion();
    expect(f.seen[0]).toEqual({ jsonrpc: '2.0', id: expect.any(Number), method: 'api_sync_v2', params: { name: 'STL', major: 5, minor: 1 } });
    expect(f.seen[1]).toMatchObject({ jsonrpc: '2.0', method: 'get_version', params: { api_h: API_H } });
    expect(f.seen[1]!.id).not.toBe(f.seen[0]!.id);
  });

  it('acquires a port and sends its handler with every owned-port call', async () => {
    const { f, c } = await connect(trexLike());
    await c.acquire(1);
    await c.reset(1);
    await c.startTraffic(1, { type: 'pps', value: 2.5e6 }, 10);
    await c.stopTraffic(1);
    await c.release(1);
    const byMethod = (m: string): Record<string, unknown> => f.seen.find((r) => r.method === m)!.params;
    expect(byMethod('acquire')).toEqual({ api_h: API_H, port_id: 1, user: 'bench', session_id: expect.any(Number), force: true });
    for (const m of ['remove_all_streams', 'stop_traffic', 'release']) {
      expect(byMethod(m)).toEqual({ api_h: API_H, port_id: 1, handler: 'handler-1' });
    }
    expect(byMethod('start_traffic')).toEqual({
      api_h: API_H, port_id: 1, handler: 'handler-1', mul: { type: 'pps', op: 'abs', value: 2.5e6 }, duration: 10, force: true,
    });
    await expect(c.stopTraffic(1)).rejects.toThrow(/port 1 is not acquired/);
  });

  it('adds streams as TRex documents them: base64 packet of 60 bytes for 64 on the wire, pps rate, field engine', async () => {
    const { f, c } = await connect(trexLike());
    await prepare(c, [0, 1], '64b-10kflows');
    const adds = f.seen.filter((r) => r.method === 'add_stream');
    expect(adds.map((r) => [r.params.port_id, r.params.stream_id, r.params.handler])).toEqual([[0, 1, 'handler-0'], [1, 1, 'handler-1']]);
    const s = adds[0]!.params.stream as TrexStream;
    expect(s).toMatchObject({
      enabled: true, self_start: true, isg: 0, flags: 0, next_stream_id: -1,
      mode: { type: 'continuous', rate: { type: 'pps', value: 1 } }, flow_stats: { enabled: false },
    });
    const pkt = Buffer.from(s.packet.binary, 'base64');
    expect(pkt.length).toBe(60);
    // Port 0 sends from its MAC (get_system_info's src) to the other port's.
    expect(pkt.subarray(0, 6).toString('hex')).toBe(MACS[1]!.replaceAll(':', ''));
    expect(pkt.subarray(6, 12).toString('hex')).toBe(MACS[0]!.replaceAll(':', ''));
    expect(pkt.readUInt16BE(12)).toBe(0x0800);
    expect(ipv4Checksum(pkt.subarray(14, 34))).toBe(0);
    expect([pkt.readUInt8(23), pkt.readUInt16BE(16)]).toEqual([17, 46]); // UDP, IP length
    expect(s.vm.instructions).toEqual([
      { type: 'flow_var', name: 'sport', size: 2, op: 'inc', init_value: 1024, min_value: 1024, max_value: 1024 + FLOWS - 1, step: 1 },
      { type: 'write_flow_var', name: 'sport', pkt_offset: 34, add_value: 0, is_big_endian: true },
    ]);
    // Port 1's stream goes the other way.
    const back = Buffer.from((adds[1]!.params.stream as TrexStream).packet.binary, 'base64');
    expect(back.subarray(26, 34).toString('hex')).toBe(pkt.subarray(30, 34).toString('hex') + pkt.subarray(26, 30).toString('hex'));
  });

  it('IMIX: three streams per port at 28:16:4, 60/590/1514-byte packets', () => {
    const s = profileStreams('imix', 0, { srcMac: MACS[0]!, dstMac: MACS[1]! });
    expect(s.map((x) => [Buffer.from(x.packet.binary, 'base64').length, x.mode.rate.value])).toEqual([[60, 28], [590, 16], [1514, 4]]);
  });

  it('reads port stats and runs a bidirectional trial from counter deltas', async () => {
    const { c } = await connect(trexLike());
    await prepare(c, [0, 1], '64b-1flow');
    const st = await c.getPortStats(0);
    expect(st).toMatchObject({ opackets: 0, m_total_tx_pps: 1000.5, m_total_rx_pps: 990.25 });
    const run = trexTrial(c, [0, 1], 0.01, 0);
    await expect(run(100_000, 1)).resolves.toEqual({ txPackets: 2000, rxPackets: 1990, seconds: 0.01 });
    await expect(run(100_000, 2)).resolves.toEqual({ txPackets: 2000, rxPackets: 1990, seconds: 0.01 });
  });
});

describe('TRex client errors', () => {
  it('turns -32000 into a TrexRpcError carrying specific_err', async () => {
    const { c } = await connect(trexLike((r) => (r.method === 'start_traffic'
      ? { error: { code: TREX_ERR.EXECUTE, message: 'Failed To Execute Method', specific_err: 'port 0: no streams' } }
      : undefined)));
    await c.acquire(0);
    const e = await c.startTraffic(0, { type: 'pps', value: 1 }, 1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TrexRpcError);
    expect(e).toMatchObject({ code: -32000, kind: 'execute', specific: 'port 0: no streams', method: 'start_traffic' });
    expect((e as Error).message).toBe('TRex start_traffic: port 0: no streams (JSON-RPC error -32000)');
    // The socket is still in step: the next call works.
    await expect(c.getVersion()).resolves.toMatchObject({ version: RECORDING.trex });
  });

  it('retries "try again" (-32001) and reports work in progress (-32002)', async () => {
    let busy = 2;
    const { f, c } = await connect(trexLike((r) => {
      if (r.method === 'get_version' && busy-- > 0) return { error: { code: TREX_ERR.TRY_AGAIN, message: 'Try again later' } };
      if (r.method === 'get_utilization') return { error: { code: TREX_ERR.WORK_IN_PROGRESS, message: 'Work in progress', specific_err: '17' } };
      return undefined;
    }));
    await expect(c.getVersion()).resolves.toMatchObject({ version: RECORDING.trex });
    expect(f.seen.filter((r) => r.method === 'get_version')).toHaveLength(3);
    await expect(c.call('get_utilization')).rejects.toMatchObject({ code: -32002, kind: 'work_in_progress', specific: '17' });
  });

  it('reads replies TRex compressed', async () => {
    const { c } = await connect(trexLike((r) => (r.method === 'get_version'
      ? { raw: zipMessage(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: r.id, result: { ...(recorded('get_version') as object), version: 'zipped' } })), deflateSync) }
      : undefined)));
    await expect(c.getVersion()).resolves.toMatchObject({ version: 'zipped' });
  });

  it('refuses a reply to another request, and stays unusable afterwards', async () => {
    const { c } = await connect(trexLike((r) => (r.method === 'ping' ? { raw: Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 999, result: {} })) } : undefined)));
    await expect(c.call('ping')).rejects.toThrow(/reply to request 999, expected/);
    await expect(c.getVersion()).rejects.toThrow(/connection unusable/);
  });

  it('says TRex is not reachable when nothing answers the handshake in time', async () => {
    // A REP socket that never answers stands for a port where nothing listens (ZeroMQ connects lazily either way).
    const mute = new Reply({ linger: 0 });
    await mute.bind('tcp://127.0.0.1:*');
    const port = Number(/:(\d+)$/.exec(mute.lastEndpoint!)![1]);
    const t0 = Date.now();
    const e = await TrexClient.connect({ host: '127.0.0.1', port, timeoutMs: 300 }).catch((x: unknown) => x);
    mute.close();
    expect(e).toBeInstanceOf(TrexUnreachableError);
    expect((e as Error).message).toMatch(new RegExp(`TRex is not reachable at tcp://127.0.0.1:${port}: no answer to api_sync_v2 within 300 ms.*t-rex-64 -i`));
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('decodes the documented error shape without a socket', () => {
    const req = buildRequest(7, 'acquire', { port_id: 0 }, API_H);
    expect(req).toEqual({ jsonrpc: '2.0', id: 7, method: 'acquire', params: { port_id: 0, api_h: API_H } });
    const reply = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 7, error: { code: -32602, message: 'Bad paramters for method', specific_err: "field 'user' is missing" } }));
    expect(() => decodeResponse(req, reply)).toThrow("TRex acquire: field 'user' is missing (JSON-RPC error -32602)");
    expect(() => decodeResponse(req, Buffer.from('{"id":7,"result":{}}'))).toThrow(/not JSON-RPC 2.0/);
    expect(decodeResponse(req, Buffer.from('{"jsonrpc":"2.0","id":7,"result":"AQokC3ZA"}'))).toBe('AQokC3ZA');
  });
});

describe('the recorded TRex v3.08', () => {
  it('answers every call the client makes with the shape the client checks', () => {
    expect(RECORDING.trex).toBe('v3.08');
    for (const method of Object.keys(RESULT_SHAPES)) {
      const calls = RECORDING.calls.filter((c) => c.method === method && c.result !== undefined);
      expect(calls.length, method).toBeGreaterThan(0);
      for (const c of calls) expect(() => checkShape(method, c.result), method).not.toThrow();
    }
  });

  it('keeps port MACs in get_port_status, not in get_system_info (what the kit first read)', () => {
    const info = recorded('get_system_info') as { ports: Array<Record<string, unknown>> };
    expect(info.ports.every((p) => !('src_macaddr' in p))).toBe(true);
    expect(MACS.every((m) => /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(m))).toBe(true);
  });

  it('refuses a result without what the client reads, naming the field', () => {
    expect(() => checkShape('get_port_status', { owner: '', state: 'IDLE' })).toThrow(/get_port_status: the result has no string at attr\.layer_cfg\.ether\.src/);
    expect(() => checkShape('acquire', { handler: 'x' })).toThrow(/acquire: the result has no string at its top/);
  });
});
