// SPDX-License-Identifier: Apache-2.0
// A machine-readable reason on every error status: google.rpc.Status with a
// google.rpc.ErrorInfo in the trailer grpc-status-details-bin (the error
// model gRPC clients in every language read). Clients (fpctl, the CNI
// plugin) branch on the reason, never on the message text.
import type * as grpc from '@grpc/grpc-js';
import type * as Protobuf from 'protobufjs/light.js';

import { protoRoot } from './proto.js';

export const DETAILS_KEY = 'grpc-status-details-bin';
export const DOMAIN = 'fastpath.io';
const ERROR_INFO_URL = 'type.googleapis.com/google.rpc.ErrorInfo';

function types(): { status: Protobuf.Type; info: Protobuf.Type } {
  const root = protoRoot();
  return { status: root.lookupType('google.rpc.Status'), info: root.lookupType('google.rpc.ErrorInfo') };
}

/** The google.rpc.Status bytes for a status with this reason. */
export function encodeDetails(code: number, message: string, reason: string): Buffer {
  const { status, info } = types();
  const detail = info.encode(info.fromObject({ reason, domain: DOMAIN })).finish();
  return Buffer.from(status.encode(status.fromObject({ code, message, details: [{ type_url: ERROR_INFO_URL, value: detail }] })).finish());
}

/** The reason fastpathd gave an error, if it gave one. */
export function reasonOf(e: unknown): string | undefined {
  const md = (e as Partial<grpc.ServiceError> | undefined)?.metadata;
  const raw = md?.get(DETAILS_KEY)[0];
  if (!(raw instanceof Buffer)) return undefined;
  try {
    const { status, info } = types();
    const s = status.toObject(status.decode(raw), { defaults: true }) as { details: Array<{ type_url: string; value: Uint8Array }> };
    const d = s.details.find((x) => x.type_url === ERROR_INFO_URL);
    if (!d) return undefined;
    const i = info.toObject(info.decode(d.value), { defaults: true }) as { reason: string; domain: string };
    return i.domain === DOMAIN ? i.reason : undefined;
  } catch {
    return undefined; // not ours, or not well formed: no reason
  }
}
