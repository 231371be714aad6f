// SPDX-License-Identifier: Apache-2.0
// CNI error results (spec 1.0 "Error"): printed on stdout as JSON with a
// non-zero exit. Codes 1-99 are the spec's; 100+ are this plugin's.
export const CNI_ERR = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnv: 4,
  io: 5,
  decode: 6,
  invalidConfig: 7,
  tryAgain: 11,
  notAvailable: 50,
  /** fastpathd refused the request (its gRPC status is in details). */
  daemonRefused: 100,
  /** CHECK found the attachment not as ADD left it. */
  checkFailed: 101,
  /** The node's plugin policy does not allow what the configuration asks. */
  policyDenied: 102,
  /** The node's plugin policy file is unreadable, unsafe or malformed. */
  policyUnusable: 103,
} as const;

export class CniError extends Error {
  constructor(readonly code: number, message: string, readonly details = '') {
    super(message);
  }

  toJSON(cniVersion: string): object {
    return { cniVersion, code: this.code, msg: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}
