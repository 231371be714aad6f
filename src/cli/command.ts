// SPDX-License-Identifier: Apache-2.0
// What a command is: the words that select it, its arguments and options
// (with their help text, so usage is generated from the same table the
// parser uses and the two cannot drift apart), and what it does.
import type { FastpathClient } from '../api/client.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Placeholder shown in usage, e.g. "N" for --vlan N. */
  value?: string;
  help: string;
  /** May be given more than once (--peer A --peer B): its value is then a list. */
  multiple?: boolean;
}

export type OptionValues = Record<string, string | string[] | boolean | undefined>;

export interface Context {
  readonly client: FastpathClient;
  readonly endpoint: string;
  readonly json: boolean;
  /** A line (or lines) on stdout. */
  print(text: string): void;
  /** One JSON document on stdout. */
  printJson(value: unknown): void;
  /** A remark for people on stderr, so it never ends up in what a script parses. */
  note(text: string): void;
  /** Aborted on Ctrl-C or SIGTERM: long-running commands stop cleanly. */
  readonly signal: AbortSignal;
}

export interface CommandSpec {
  /** e.g. ['port', 'add'] or ['stats']. */
  words: string[];
  /** Positional arguments: '<name>' is required, '[<port>]' optional. */
  args: string[];
  summary: string;
  options?: Record<string, OptionSpec>;
  /** Extra lines for `fpctl help <command>`. */
  details?: string;
  run(ctx: Context, args: string[], opts: OptionValues): Promise<void>;
}
