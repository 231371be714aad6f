// SPDX-License-Identifier: Apache-2.0
// Errors from the data plane carry an errno-style code; the API layer maps
// codes to gRPC statuses.

export type ErrnoCode =
  | 'EINVAL' | 'ENOENT' | 'EEXIST' | 'ENOMEM' | 'ENOSPC' | 'EBUSY' | 'EALREADY'
  | 'ENODEV' | 'EADDRINUSE' | 'ENAMETOOLONG' | 'EACCES' | 'EPERM' | 'EIO'
  | 'ELOOP' | 'EXDEV' | 'E2BIG' | 'EWOULDBLOCK';

export class DataplaneError extends Error {
  readonly code: ErrnoCode;
  constructor(code: ErrnoCode, message: string) {
    super(message);
    this.name = 'DataplaneError';
    this.code = code;
  }
}

/** Re-throw an addon rejection as a DataplaneError. */
export function fromNative(e: unknown): DataplaneError {
  if (e instanceof DataplaneError) return e;
  const err = e as { code?: string; message?: string };
  return new DataplaneError((err.code as ErrnoCode) ?? 'EIO', err.message ?? String(e));
}
