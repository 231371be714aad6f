// SPDX-License-Identifier: Apache-2.0
// A small TRex stateless client: JSON-RPC 2.0 over a ZeroMQ REQ socket
// (TRex's synchronous channel, tcp 4501), the calls the NDR/PDR search
// needs and nothing else. The encoding lives in rpc-codec.ts.
import { Request } from 'zeromq';

import { buildRequest, decodeResponse, encodeRequest, TrexRpcError, type TrexParams } from './rpc-codec.js';
import { checkShape } from './shapes.js';
import type { TrexStream } from './streams.js';

/** The stateless API class and version this client speaks (TRex v2.4x and v3.x accept 5.1). */
export const STL_API = { name: 'STL', major: 5, minor: 1 } as const;
export const DEFAULT_RPC_PORT = 4501;

/** Nothing answered: TRex is not running, not in interactive mode, or not at that address. */
export class TrexUnreachableError extends Error {
  constructor(readonly endpoint: string, readonly timeoutMs: number, cause?: unknown) {
    super(
      `TRex is not reachable at ${endpoint}: no answer to api_sync_v2 within ${timeoutMs} ms. ` +
      'Start it first, in interactive (stateless) mode: `sudo ./t-rex-64 -i --cfg <dir>/trex_cfg.yaml` ' +
      '(see bench/README.md, "TRex"), or pass --server/--rpc-port',
      cause === undefined ? undefined : { cause },
    );
    this.name = 'TrexUnreachableError';
  }
}

/** No reply within the socket's timeout: the REQ socket cannot be used again. */
export class TrexTimeoutError extends Error {
  constructor(method: string, endpoint: string, timeoutMs: number, cause: unknown) {
    super(`TRex ${method}: no answer from ${endpoint} within ${timeoutMs} ms`, { cause });
    this.name = 'TrexTimeoutError';
  }
}

export interface PortStats {
  /** Cumulative since TRex started (TRex clears nothing on the server side). */
  opackets: number;
  ipackets: number;
  obytes: number;
  ibytes: number;
  oerrors: number;
  ierrors: number;
  /** TRex's smoothed current rates. */
  m_total_tx_pps: number;
  m_total_rx_pps: number;
  m_total_tx_bps: number;
  m_total_rx_bps: number;
}

/** `start_traffic`'s multiplier: the rate the port's streams are scaled to, in total. */
export interface Multiplier {
  type: 'raw' | 'pps' | 'bps' | 'bps_L1' | 'bps_L2' | 'percentage';
  value: number;
}

export interface ConnectOptions {
  host: string;
  port?: number;
  /** Per request; the handshake's timeout decides "unreachable". */
  timeoutMs?: number;
  user?: string;
}

const TRY_AGAIN_ATTEMPTS = 10;
const TRY_AGAIN_DELAY_MS = 300;

export class TrexClient {
  private nextId = 1;
  private apiH: string | undefined;
  private readonly handlers = new Map<number, string>();
  private broken: Error | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly sessionId = Math.floor(Math.random() * 0x7fffffff);

  private constructor(
    private readonly sock: Request,
    readonly endpoint: string,
    private readonly timeoutMs: number,
    readonly user: string,
  ) {}

  /** Connect and run the API handshake; TrexUnreachableError when nothing answers in time. */
  static async connect(opts: ConnectOptions): Promise<TrexClient> {
    const endpoint = `tcp://${opts.host}:${opts.port ?? DEFAULT_RPC_PORT}`;
    const timeoutMs = opts.timeoutMs ?? 5000;
    // linger 0: a close never waits for a server that is not there.
    const sock = new Request({ linger: 0, sendTimeout: timeoutMs, receiveTimeout: timeoutMs });
    sock.connect(endpoint);
    const c = new TrexClient(sock, endpoint, timeoutMs, opts.user ?? 'fastpath-bench');
    try {
      const r = checkShape<{ api_h: string }>('api_sync_v2', await c.call('api_sync_v2', { ...STL_API }));
      if (r.api_h === '') throw new Error(`TRex api_sync_v2: an empty api_h in ${JSON.stringify(r)}`);
      c.apiH = r.api_h;
    } catch (e) {
      c.close();
      if (e instanceof TrexTimeoutError) throw new TrexUnreachableError(endpoint, timeoutMs, e);
      throw e;
    }
    return c;
  }

  /**
   * One call. A REQ socket carries one request at a time, so calls are
   * queued; "try again" answers are retried; after a timeout or a reply out
   * of step the socket is unusable and every later call fails.
   */
  call<T>(method: string, params: TrexParams = {}): Promise<T> {
    const run = async (): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return (await this.once(method, params)) as T;
        } catch (e) {
          if (e instanceof TrexRpcError && e.kind === 'try_again' && attempt < TRY_AGAIN_ATTEMPTS) {
            await new Promise((r) => setTimeout(r, TRY_AGAIN_DELAY_MS));
            continue;
          }
          throw e;
        }
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async once(method: string, params: TrexParams): Promise<unknown> {
    if (this.broken) throw new Error(`TRex ${method}: connection unusable after an earlier failure (${this.broken.message})`);
    const req = buildRequest(this.nextId++, method, params, this.apiH);
    try {
      await this.sock.send(encodeRequest(req));
      const [reply] = await this.sock.receive();
      return decodeResponse(req, reply!);
    } catch (e) {
      if (!(e instanceof TrexRpcError)) this.broken = e instanceof Error ? e : new Error(String(e));
      if (isTimeout(e)) throw new TrexTimeoutError(method, this.endpoint, this.timeoutMs, e);
      throw e;
    }
  }

  private handler(port: number): string {
    const h = this.handlers.get(port);
    if (!h) throw new Error(`TRex port ${port} is not acquired`);
    return h;
  }

  private owned(port: number, extra: TrexParams = {}): TrexParams {
    return { port_id: port, handler: this.handler(port), ...extra };
  }

  async getVersion(): Promise<{ version: string; build_date?: string }> {
    return checkShape('get_version', await this.call('get_version'));
  }

  /** Take the port (force: from another session that left it acquired). */
  async acquire(port: number, force = true): Promise<void> {
    const h = checkShape<string>('acquire', await this.call('acquire', { port_id: port, user: this.user, session_id: this.sessionId, force }));
    this.handlers.set(port, h);
  }

  /** Stop whatever runs on the port and remove its streams (the Python client's reset, less clearing stats). */
  async reset(port: number): Promise<void> {
    // stop_traffic is for active ports only.
    if (['TX', 'PAUSE'].includes(await this.portState(port))) await this.stopTraffic(port);
    await this.call('remove_all_streams', this.owned(port));
  }

  async addStream(port: number, streamId: number, stream: TrexStream): Promise<unknown> {
    return this.call('add_stream', this.owned(port, { stream_id: streamId, stream }));
  }

  /** Transmit for durationSec seconds (-1: until stopped) at `mul` in total over the port's streams. */
  async startTraffic(port: number, mul: Multiplier, durationSec: number): Promise<{ multiplier?: number }> {
    return checkShape('start_traffic', await this.call('start_traffic', this.owned(port, { mul: { type: mul.type, op: 'abs', value: mul.value }, duration: durationSec, force: true })));
  }

  async stopTraffic(port: number): Promise<unknown> {
    return this.call('stop_traffic', this.owned(port));
  }

  async getPortStats(port: number): Promise<PortStats> {
    const r = checkShape<Partial<Record<keyof PortStats, unknown>>>('get_port_stats', await this.call('get_port_stats', { port_id: port }));
    const num = (k: keyof PortStats): number => (typeof r[k] === 'number' ? r[k] : 0);
    return {
      opackets: num('opackets'), ipackets: num('ipackets'), obytes: num('obytes'), ibytes: num('ibytes'),
      oerrors: num('oerrors'), ierrors: num('ierrors'),
      m_total_tx_pps: num('m_total_tx_pps'), m_total_rx_pps: num('m_total_rx_pps'),
      m_total_tx_bps: num('m_total_tx_bps'), m_total_rx_bps: num('m_total_rx_bps'),
    };
  }

  /** get_port_status: state and the port's layer-2 addresses (TRex v3 keeps them here, not in get_system_info). */
  async portStatus(port: number): Promise<{ state: string; srcMac: string; dstMac: string }> {
    const r = checkShape<{ state: string; attr: { layer_cfg: { ether: { src: string; dst: string } } } }>(
      'get_port_status', await this.call('get_port_status', { port_id: port }));
    return { state: r.state, srcMac: r.attr.layer_cfg.ether.src, dstMac: r.attr.layer_cfg.ether.dst };
  }

  /** "IDLE", "STREAMS", "TX", "PAUSE" or "DOWN". */
  async portState(port: number): Promise<string> {
    return (await this.portStatus(port)).state;
  }

  async release(port: number): Promise<void> {
    if (!this.handlers.has(port)) return;
    await this.call('release', this.owned(port));
    this.handlers.delete(port);
  }

  /** Release every port we hold (best effort) and close the socket. */
  async dispose(): Promise<void> {
    for (const port of [...this.handlers.keys()]) {
      await this.stopTraffic(port).catch(() => undefined);
      await this.release(port).catch(() => undefined);
    }
    this.close();
  }

  close(): void {
    if (!this.sock.closed) this.sock.close();
  }
}

function isTimeout(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'EAGAIN';
}
