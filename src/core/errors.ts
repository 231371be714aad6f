// SPDX-License-Identifier: Apache-2.0
// Typed errors of the orchestrator. The API adapter maps each kind to one
// gRPC status; anything else becomes INTERNAL with a generic message.
import { DataplaneError } from '../dataplane/errors.js';

export type ErrorKind =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE';

/**
 * Machine-readable reasons (google.rpc.ErrorInfo.reason) beyond the status
 * itself: what a client may branch on. Without one, the reason is the kind.
 */
export type ErrorReason = 'NETWORK_NOT_FOUND' | 'PORT_NOT_FOUND' | 'NETWORK_IN_USE';

export class ApiError extends Error {
  readonly kind: ErrorKind;
  /** google.rpc.ErrorInfo.reason: the kind unless something more precise. */
  readonly reasonCode: string;
  constructor(kind: ErrorKind, message: string, reason?: ErrorReason) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.reasonCode = reason ?? kind;
  }
}

export const invalid = (m: string): ApiError => new ApiError('INVALID_ARGUMENT', m);
export const notFound = (m: string, reason?: ErrorReason): ApiError => new ApiError('NOT_FOUND', m, reason);
export const exists = (m: string): ApiError => new ApiError('ALREADY_EXISTS', m);
export const exhausted = (m: string): ApiError => new ApiError('RESOURCE_EXHAUSTED', m);
export const precondition = (m: string, reason?: ErrorReason): ApiError => new ApiError('FAILED_PRECONDITION', m, reason);

const BY_ERRNO: Record<string, ErrorKind> = {
  EINVAL: 'INVALID_ARGUMENT',
  ENAMETOOLONG: 'INVALID_ARGUMENT',
  ENOENT: 'NOT_FOUND',
  EEXIST: 'ALREADY_EXISTS',
  EADDRINUSE: 'ALREADY_EXISTS',
  ENOMEM: 'RESOURCE_EXHAUSTED',
  ENOSPC: 'RESOURCE_EXHAUSTED',
  EBUSY: 'FAILED_PRECONDITION',
  // A port directory a tenant filled with links, mounts or a huge tree.
  ELOOP: 'FAILED_PRECONDITION',
  EXDEV: 'FAILED_PRECONDITION',
  E2BIG: 'FAILED_PRECONDITION',
  ENODEV: 'UNAVAILABLE',
};

/** Data plane errors carry errno codes; give them an API kind. */
export function fromDataplane(e: unknown): unknown {
  if (e instanceof DataplaneError) {
    const kind = BY_ERRNO[e.code];
    if (kind) return new ApiError(kind, e.message);
  }
  return e;
}
