// SPDX-License-Identifier: Apache-2.0
// TRex's request/response encoding, apart from the socket so the tests can
// check it byte for byte: JSON-RPC 2.0 messages (TRex's
// doc/trex_rpc_server_spec.asciidoc), every call after api_sync_v2 carrying
// the api_h it returned, and TRex's optional zlib framing (a big-endian
// 0xABE85CEA magic, the uncompressed length, then the zlib stream), which
// the server uses for a reply when the request came compressed or the reply
// is large.
import { inflateSync } from 'node:zlib';

/** JSON-RPC error codes TRex's server sends (src/rpc-server/trex_rpc_jsonrpc_v2_parser.cpp). */
export const TREX_ERR = {
  PARSE: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  /** The command ran and failed: the reason is in error.specific_err. */
  EXECUTE: -32000,
  /** The server is busy (e.g. still applying a previous command): retry. */
  TRY_AGAIN: -32001,
  /** An asynchronous command is still running (its ticket is in specific_err). */
  WORK_IN_PROGRESS: -32002,
} as const;

const ZIP_MAGIC = 0xabe85cea;

export type TrexParams = Record<string, unknown>;

export interface TrexRequest {
  jsonrpc: '2.0';
  id: number;
  method: string;
  params: TrexParams;
}

/** A JSON-RPC error from TRex: code, generic message, and TRex's own reason. */
export class TrexRpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    /** The generic JSON-RPC message, e.g. "Failed To Execute Method". */
    readonly rpcMessage: string,
    /** TRex's reason (error.specific_err), e.g. "please acquire the port before modifying port state". */
    readonly specific: string | undefined,
  ) {
    super(`TRex ${method}: ${specific ?? rpcMessage} (JSON-RPC error ${code})`);
    this.name = 'TrexRpcError';
  }

  get kind(): 'execute' | 'try_again' | 'work_in_progress' | 'protocol' {
    switch (this.code) {
      case TREX_ERR.EXECUTE: return 'execute';
      case TREX_ERR.TRY_AGAIN: return 'try_again';
      case TREX_ERR.WORK_IN_PROGRESS: return 'work_in_progress';
      default: return 'protocol';
    }
  }
}

/** The request object; api_h goes into params for every call after the handshake. */
export function buildRequest(id: number, method: string, params: TrexParams, apiH?: string): TrexRequest {
  return { jsonrpc: '2.0', id, method, params: apiH ? { ...params, api_h: apiH } : { ...params } };
}

export function encodeRequest(req: TrexRequest): Buffer {
  return Buffer.from(JSON.stringify(req), 'utf8');
}

/** Undo TRex's zlib framing when present; other messages pass unchanged. */
export function unzipMessage(buf: Buffer): Buffer {
  if (buf.length < 8 || buf.readUInt32BE(0) !== ZIP_MAGIC) return buf;
  const want = buf.readUInt32BE(4);
  const out = inflateSync(buf.subarray(8));
  if (out.length !== want) throw new Error(`TRex: compressed reply of ${out.length} bytes, header says ${want}`);
  return out;
}

/** TRex's zlib framing (what the Python client sends); used by the tests' fake server. */
export function zipMessage(buf: Buffer, deflate: (b: Buffer) => Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(ZIP_MAGIC, 0);
  head.writeUInt32BE(buf.length, 4);
  return Buffer.concat([head, deflate(buf)]);
}

/**
 * The result of one reply to `req`, or a TrexRpcError. A reply that is not
 * JSON-RPC 2.0, or answers another id, is a plain Error: the REQ socket is
 * then out of step and must not be used again.
 */
export function decodeResponse(req: TrexRequest, raw: Buffer): unknown {
  let msg: unknown;
  try {
    msg = JSON.parse(unzipMessage(raw).toString('utf8'));
  } catch (e) {
    throw new Error(`TRex ${req.method}: reply is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new Error(`TRex ${req.method}: malformed reply`);
  const m = msg as { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown; specific_err?: unknown } };
  if (m.jsonrpc !== '2.0') throw new Error(`TRex ${req.method}: reply is not JSON-RPC 2.0`);
  // TRex echoes the id as sent (ours are numbers; the Python client's strings).
  if (m.id !== req.id && m.id !== null) throw new Error(`TRex ${req.method}: reply to request ${String(m.id)}, expected ${req.id}`);
  if (m.error !== undefined) {
    const e = m.error;
    throw new TrexRpcError(
      req.method,
      typeof e.code === 'number' ? e.code : NaN,
      typeof e.message === 'string' ? e.message : 'unknown error',
      typeof e.specific_err === 'string' && e.specific_err !== '' ? e.specific_err : undefined,
    );
  }
  if (!('result' in m)) throw new Error(`TRex ${req.method}: reply has neither result nor error`);
  return m.result;
}
