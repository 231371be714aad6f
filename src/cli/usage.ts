// SPDX-License-Identifier: Apache-2.0
// Usage text, generated from the command table the parser uses.
import { GLOBAL_OPTIONS } from './args.js';
import type { CommandSpec, OptionSpec } from './command.js';
import { renderRows } from './table.js';

export const EXIT = {
  OK: 0,
  /** fastpathd answered with an error (its message is on stderr). */
  REFUSED: 1,
  USAGE: 2,
  /** fastpathd could not be reached (not running, wrong endpoint, no permission). */
  UNREACHABLE: 3,
} as const;

function optionSynopsis(name: string, o: OptionSpec): string {
  return o.type === 'boolean' ? `--${name}` : `--${name} ${o.value ?? 'V'}`;
}

export function synopsis(c: CommandSpec, withOptions = false): string {
  const opts = withOptions ? Object.entries(c.options ?? {}).map(([k, o]) => `[${optionSynopsis(k, o)}]${o.multiple ? '...' : ''}`) : [];
  const more = !withOptions && Object.keys(c.options ?? {}).length > 0 ? ['[options]'] : [];
  return [...c.words, ...c.args, ...opts, ...more].join(' ');
}

function optionLines(options: Record<string, OptionSpec>): string {
  const rows = Object.entries(options).map(([k, o]) => [`  ${k === 'help' ? '-h, ' : ''}${optionSynopsis(k, o)}`, o.help]);
  return renderRows(rows);
}

const EXIT_TEXT = `Exit status: ${EXIT.OK} success; ${EXIT.REFUSED} fastpathd refused the request (its reason is on stderr);
${EXIT.USAGE} usage error; ${EXIT.UNREACHABLE} fastpathd could not be reached.`;

export function generalUsage(commands: CommandSpec[]): string {
  const rows = [...commands.map((c) => [`  ${synopsis(c)}`, c.summary]), ['  help [<command>]', 'this text, or a command\'s options']];
  const table = renderRows(rows);
  return `usage: fpctl [--endpoint URI] [--json] [--timeout SECONDS] <command> [<args>] [options]

Configures and watches fastpathd, the DPDK vhost-user switch for containers.

Commands:
${table}

Global options (anywhere on the line):
${optionLines(GLOBAL_OPTIONS)}

${EXIT_TEXT}
'fpctl help <command>' shows a command's options, e.g. 'fpctl help port add'.`;
}

export function nounUsage(commands: CommandSpec[], noun: string): string {
  const rows = commands.filter((c) => c.words[0] === noun && c.words.length === 2).map((c) => [`  fpctl ${synopsis(c)}`, c.summary]);
  return `usage:\n${renderRows(rows)}\n\n'fpctl help ${noun} <command>' shows its options.`;
}

export function commandUsage(c: CommandSpec): string {
  const opts = c.options && Object.keys(c.options).length > 0 ? `\n\nOptions:\n${optionLines(c.options)}` : '';
  const details = c.details ? `\n\n${c.details}` : '';
  return `usage: fpctl ${synopsis(c, true)}\n\n${c.summary}${opts}${details}\n\nGlobal options: --endpoint URI, --json, --timeout SECONDS (see 'fpctl help').`;
}
