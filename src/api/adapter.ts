// SPDX-License-Identifier: Apache-2.0
// The one place where handler outcomes become gRPC statuses. Handlers are
// plain async functions; typed errors map to their status, anything else is
// logged and returned as INTERNAL without internals.
import * as grpc from '@grpc/grpc-js';

import { ApiError, fromDataplane, type ErrorKind } from '../core/errors.js';
import { DETAILS_KEY, encodeDetails } from './error-info.js';

const STATUS: Record<ErrorKind, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
};

export interface AdapterLogger {
  error(obj: object, msg: string): void;
}


/** A watcher this many events behind is dropped (memory per watcher stays bounded). */
export const DEFAULT_STREAM_BACKLOG = 1024;
/** How long a watcher may stay past its backlog (a burst it is reading through). */
const STREAM_GRACE_MS = 1000;

export class Adapter {
  /** Open server streams, ended first at shutdown (they never finish alone). */
  private readonly streams = new Set<grpc.ServerWritableStream<unknown, unknown>>();

  constructor(
    private readonly log: AdapterLogger,
    /** Messages a stream may have queued for a client that does not read. */
    private readonly streamBacklog = DEFAULT_STREAM_BACKLOG,
  ) {}

  /** End every open stream with OK, so that a graceful shutdown does not wait on them. */
  endStreams(): void {
    for (const s of this.streams) s.end();
    this.streams.clear();
  }

  toStatus(method: string, e: unknown): Partial<grpc.StatusObject> {
    const err = fromDataplane(e);
    if (err instanceof ApiError) {
      const code = STATUS[err.kind];
      const metadata = new grpc.Metadata();
      metadata.set(DETAILS_KEY, encodeDetails(code, err.message, err.reasonCode));
      return { code, details: err.message, metadata };
    }
    this.log.error({ method, err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'unexpected error in handler');
    return { code: grpc.status.INTERNAL, details: 'internal error; see the fastpathd log' };
  }

  unary<Req, Res>(method: string, handler: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      handler(call.request).then(
        (res) => callback(null, res),
        (e: unknown) => callback(this.toStatus(method, e)),
      );
    };
  }

  /**
   * A server stream: `start` validates (its errors end the call with a
   * status) and returns an unsubscribe function run when the call ends.
   */
  serverStream<Req, Res>(
    method: string,
    start: (req: Req, write: (res: Res) => void) => Promise<() => void>,
  ): grpc.handleServerStreamingCall<Req, Res> {
    return (call) => {
      let stop: (() => void) | undefined;
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        clearTimeout(check);
        this.streams.delete(call as grpc.ServerWritableStream<unknown, unknown>);
        stop?.();
      };
      call.on('cancelled', () => end());
      call.on('close', () => end());
      // A client that stops reading: HTTP/2 flow control stops the data,
      // and what we write queues here. A burst (hundreds of events in one
      // tick) also queues, briefly, for a client that reads: so the stream
      // is dropped when it is still past the backlog a second later, or at
      // once past eight times the backlog. It ends with RESOURCE_EXHAUSTED
      // after what is queued (the client reads why when it reads again),
      // and its subscription goes.
      let check: NodeJS.Timeout | undefined;
      const drop = (): void => {
        if (ended) return;
        const details = `${method}: the client fell ${call.writableLength} messages behind; stream dropped (resubscribe and read faster)`;
        end();
        call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details });
      };
      const write = (res: Res): void => {
        if (ended) return;
        const queued = call.writableLength;
        if (queued >= this.streamBacklog * 8) return drop();
        if (queued >= this.streamBacklog && check === undefined) {
          check = setTimeout(() => {
            check = undefined;
            if (call.writableLength >= this.streamBacklog) drop();
          }, STREAM_GRACE_MS);
          check.unref();
        }
        call.write(res);
      };
      start(call.request, write).then(
        (unsubscribe) => {
          stop = unsubscribe;
          if (ended) {
            unsubscribe();
            return;
          }
          this.streams.add(call as grpc.ServerWritableStream<unknown, unknown>);
          // Headers now tell the client its subscription is live.
          call.sendMetadata(new grpc.Metadata());
        },
        (e: unknown) => {
          ended = true;
          call.emit('error', this.toStatus(method, e));
        },
      );
    };
  }
}
