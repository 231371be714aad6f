// SPDX-License-Identifier: Apache-2.0
// Per-RPC metrics for every method of the server (health checks included),
// as a gRPC server interceptor: the status a call ended with and how long
// it took, whichever way it ended (a status sent, or the client gone).
import * as grpc from '@grpc/grpc-js';

export interface CallObserver {
  /** Called once per finished call with its status code and duration. */
  (method: string, code: grpc.status, seconds: number): void;
}

export function metricsInterceptor(observe: CallObserver): grpc.ServerInterceptor {
  return (descriptor, call) => {
    const t0 = process.hrtime.bigint();
    const method = descriptor.path.slice(descriptor.path.lastIndexOf('/') + 1);
    let done = false;
    const finish = (code: grpc.status): void => {
      if (done) return;
      done = true;
      observe(method, code, Number(process.hrtime.bigint() - t0) / 1e9);
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => next(new grpc.ServerListenerBuilder().withOnCancel(() => finish(grpc.status.CANCELLED)).build()),
      sendStatus: (status, next) => {
        finish(status.code);
        next(status);
      },
    });
  };
}
