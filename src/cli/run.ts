// SPDX-License-Identifier: Apache-2.0
// One fpctl invocation: parse, run the command against fastpathd, and turn
// the outcome into output and an exit status. No process globals here (the
// entry point passes them in), so the flow can be tested in-process.
import * as grpc from '@grpc/grpc-js';

import { FastpathClient } from '../api/client.js';
import { parseCommandLine, UsageError, type Invocation } from './args.js';
import type { CommandSpec, Context, OptionValues } from './command.js';
import { COMMANDS } from './commands/index.js';
import { describeFailure } from './errors.js';
import { commandUsage, EXIT, generalUsage, nounUsage, synopsis } from './usage.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
}

/** Streaming commands stop cleanly on Ctrl-C; any other command is just interrupted. */
const STREAMING = new Set(['events']);
const INTERRUPTED = 130; // 128 + SIGINT, as shells report it

/** The message, the command's synopsis when known, and where to read more. */
function usageFailure(e: UsageError, io: CliIo, command = e.command): number {
  io.stderr(`fpctl: ${e.message}\n`);
  if (command) io.stderr(`usage: fpctl ${synopsis(command, true)}\n`);
  const topic = command ? command.words.join(' ') : e.topic;
  io.stderr(`(see 'fpctl help${topic ? ` ${topic}` : ''}')\n`);
  return EXIT.USAGE;
}

function helpText(inv: Extract<Invocation, { kind: 'help' }>): string {
  if (inv.command) return commandUsage(inv.command);
  if (inv.noun) return nounUsage(COMMANDS, inv.noun);
  return generalUsage(COMMANDS);
}

/** Whether any channel got to fastpathd: an UNAVAILABLE status then came from fastpathd itself. */
function connected(client: FastpathClient): boolean {
  return [client.networks, client.ports, client.system].some(
    (c) => c.getChannel().getConnectivityState(false) === grpc.connectivityState.READY,
  );
}

function interrupted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fire = (): void => reject(new Error('interrupted'));
    if (signal.aborted) fire();
    else signal.addEventListener('abort', fire, { once: true });
  });
}

async function execute(command: CommandSpec, args: string[], ctx: Context, opts: OptionValues): Promise<void> {
  const run = command.run(ctx, args, opts);
  if (STREAMING.has(command.words.join(' '))) return run;
  // A unary call has no use for the signal: give up on it instead.
  return Promise.race([run, interrupted(ctx.signal)]);
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let inv: Invocation;
  try {
    inv = parseCommandLine(argv, io.env, COMMANDS);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(e, io);
    throw e;
  }
  if (inv.kind === 'help') {
    io.stdout(`${helpText(inv)}\n`);
    return EXIT.OK;
  }

  const { command, args, opts, globals } = inv;
  let client: FastpathClient | undefined;
  try {
    client = new FastpathClient(globals.endpoint, globals.timeoutMs);
    const ctx: Context = {
      client,
      endpoint: globals.endpoint,
      json: globals.json,
      print: (text) => io.stdout(`${text}\n`),
      printJson: (value) => io.stdout(`${JSON.stringify(value, null, 2)}\n`),
      note: (text) => io.stderr(`fpctl: ${text}\n`),
      signal: io.signal,
    };
    await execute(command, args, ctx, opts);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(e, io, e.command ?? command);
    if (io.signal.aborted) return INTERRUPTED;
    const f = describeFailure(e, { endpoint: globals.endpoint, timeoutMs: globals.timeoutMs, connected: client ? connected(client) : false });
    for (const line of f.lines) io.stderr(`fpctl: ${line}\n`);
    return f.exitCode;
  } finally {
    client?.close();
  }
}
