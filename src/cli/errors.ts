// SPDX-License-Identifier: Apache-2.0
// Turns whatever a command threw into one line for stderr and an exit
// status. fastpathd's own messages are shown as they are, with the gRPC
// status name after them so scripts and people can tell NOT_FOUND from
// ALREADY_EXISTS without parsing prose.
import * as grpc from '@grpc/grpc-js';

import { UsageError } from './args.js';
import { EXIT } from './usage.js';

export interface Failure {
  lines: string[];
  exitCode: number;
}

function isServiceError(e: unknown): e is grpc.ServiceError {
  return e instanceof Error && typeof (e as Partial<grpc.ServiceError>).code === 'number' && 'details' in e;
}

/**
 * grpc-js says why it could not connect inside its details, e.g. "No
 * connection established. Last error: Error: connect ENOENT /run/x.sock.
 * Resolution note: ": keep the "connect ENOENT /run/x.sock" part.
 */
export function connectReason(details: string): string | undefined {
  return /\b(connect E[A-Z]+ .*?)(?:\. Resolution note:.*)?$/s.exec(details.trim())?.[1];
}

/** Adds a line saying what to do about an error, shown after its message. */
export function withHint(e: unknown, hint: string): unknown {
  if (e instanceof Error) Object.assign(e, { hint });
  return e;
}

function hintOf(e: unknown): string[] {
  const h = (e as { hint?: unknown } | undefined)?.hint;
  return typeof h === 'string' ? [h] : [];
}

export interface FailureContext {
  endpoint: string;
  timeoutMs: number;
  /** Whether a connection to fastpathd was ever made: an UNAVAILABLE then came from fastpathd itself. */
  connected: boolean;
}

export function describeFailure(e: unknown, ctx: FailureContext): Failure {
  if (e instanceof UsageError) return { lines: [e.message], exitCode: EXIT.USAGE };
  if (!isServiceError(e)) return { lines: [e instanceof Error ? e.message : String(e)], exitCode: EXIT.REFUSED };
  const status = grpc.status[e.code] ?? String(e.code);
  if (e.code === grpc.status.UNAVAILABLE && !ctx.connected) {
    const reason = connectReason(e.details);
    if (reason?.includes('EACCES')) {
      return {
        lines: [`cannot reach fastpathd at ${ctx.endpoint}: permission denied on its socket (run as root, or as a member of the socket's group)`],
        exitCode: EXIT.UNREACHABLE,
      };
    }
    return {
      lines: [`cannot reach fastpathd at ${ctx.endpoint}: is it running? (npm start)`, ...(reason ? [`(${reason})`] : [])],
      exitCode: EXIT.UNREACHABLE,
    };
  }
  if (e.code === grpc.status.DEADLINE_EXCEEDED) {
    return {
      lines: [`fastpathd at ${ctx.endpoint} did not answer within ${ctx.timeoutMs / 1000} s (DEADLINE_EXCEEDED); --timeout sets the limit`],
      exitCode: EXIT.UNREACHABLE,
    };
  }
  return { lines: [`${e.details} (${status})`, ...hintOf(e)], exitCode: EXIT.REFUSED };
}
