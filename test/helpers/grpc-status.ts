// SPDX-License-Identifier: Apache-2.0
// A call's outcome as one comparable string: "OK", or "<STATUS>: <details>".
import * as grpc from '@grpc/grpc-js';

export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    const err = e as grpc.ServiceError;
    return `${grpc.status[err.code]}: ${err.details}`;
  }
}
