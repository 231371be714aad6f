// SPDX-License-Identifier: Apache-2.0
// Command-line parsing with node:util parseArgs. Global options may appear
// anywhere; the command words (e.g. `port add`) come first among the
// non-option arguments, then the command's own arguments and options.
import { parseArgs } from 'node:util';

import { DEFAULT_ENDPOINT } from '../api/client.js';
import { inRange, RANGES, rangeText, type Range } from '../dataplane/limits.js';
import type { CommandSpec, OptionSpec, OptionValues } from './command.js';

/** Bad command line: exit status 2, like most Unix tools. */
export class UsageError extends Error {
  /** The command whose usage to show, or the word to point `fpctl help` at. */
  constructor(message: string, readonly command?: CommandSpec, readonly topic?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const DEFAULT_TIMEOUT_S = 30;

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  endpoint: { type: 'string', value: 'URI', help: `fastpathd's gRPC endpoint (default: $FASTPATH_ENDPOINT, else ${DEFAULT_ENDPOINT})` },
  json: { type: 'boolean', help: 'machine-readable JSON output (the API\'s own messages)' },
  timeout: { type: 'string', value: 'SECONDS', help: `give up on a call after this long (default ${DEFAULT_TIMEOUT_S})` },
  help: { type: 'boolean', help: 'show usage' },
};

export interface Globals {
  endpoint: string;
  json: boolean;
  timeoutMs: number;
}

export type Invocation =
  | { kind: 'help'; command?: CommandSpec; noun?: string }
  | { kind: 'run'; command: CommandSpec; args: string[]; opts: OptionValues; globals: Globals };

/** The first non-option words of argv, skipping global options and their values. */
export function leadingWords(argv: string[], max: number): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < max; i++) {
    const a = argv[i]!;
    if (a === '--') {
      words.push(...argv.slice(i + 1, i + 1 + max - words.length));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      const name = a.replace(/^--?/, '');
      if (!name.includes('=') && GLOBAL_OPTIONS[name]?.type === 'string') i++;
      continue;
    }
    words.push(a);
  }
  return words;
}

/** Finds the command its words name; throws a UsageError that says what exists. */
export function findCommand(commands: CommandSpec[], words: string[]): CommandSpec {
  const [noun, verb] = words;
  const exact = commands.find((c) => c.words.length === 1 && c.words[0] === noun)
    ?? commands.find((c) => c.words.length === 2 && c.words[0] === noun && c.words[1] === verb);
  if (exact) return exact;
  const verbs = commands.filter((c) => c.words.length === 2 && c.words[0] === noun).map((c) => c.words[1]!);
  if (noun === undefined) throw new UsageError('missing command');
  if (verbs.length === 0) throw new UsageError(`unknown command '${noun}'`);
  if (verb === undefined) throw new UsageError(`'${noun}' needs one of: ${verbs.join(', ')}`, undefined, noun);
  throw new UsageError(`unknown command '${noun} ${verb}' (${noun} has: ${verbs.join(', ')})`, undefined, noun);
}

/** "unix:///x" stays; a bare path is a unix socket, as people tend to type it. */
export function normaliseEndpoint(e: string): string {
  return e.startsWith('/') ? `unix://${e}` : e;
}

export function parseTimeout(s: string | undefined): number {
  if (s === undefined) return DEFAULT_TIMEOUT_S * 1000;
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got '${s}'`);
  return Math.round(n * 1000);
}

/** What `help` (or --help) next to these words asks for. */
function helpFor(commands: CommandSpec[], words: string[]): Invocation {
  const [noun, verb] = words;
  if (noun === undefined) return { kind: 'help' };
  const verbs = commands.filter((c) => c.words.length === 2 && c.words[0] === noun).map((c) => c.words[1]);
  if (verbs.length > 0 && (verb === undefined || !verbs.includes(verb))) return { kind: 'help', noun };
  return { kind: 'help', command: findCommand(commands, words) };
}

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv, commands: CommandSpec[]): Invocation {
  const words = leadingWords(argv, 3);
  if (words[0] === 'help') return helpFor(commands, words.slice(1));
  if (argv.includes('--help') || argv.includes('-h')) return helpFor(commands, words);
  const command = findCommand(commands, words);

  const options = Object.fromEntries(
    Object.entries({ ...GLOBAL_OPTIONS, ...command.options }).map(([k, o]) => [k, {
      type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(k === 'help' ? { short: 'h' } : {}),
    }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs' messages mention its own internals ("To specify a positional
    // argument starting with a '-'...", on the same line or the next): keep
    // its first sentence only.
    const first = ((e as Error).message.split(/\.\s|\n/)[0] ?? '').replace(/\.$/, '');
    throw new UsageError(first.charAt(0).toLowerCase() + first.slice(1), command);
  }
  const values = parsed.values as OptionValues;
  const args = parsed.positionals.slice(command.words.length);
  const required = command.args.filter((a) => a.startsWith('<')).length;
  if (args.length < required) throw new UsageError(`missing ${command.args[args.length]}`, command);
  if (args.length > command.args.length) throw new UsageError(`unexpected argument '${args[command.args.length]}'`, command);

  const endpoint = normaliseEndpoint((values.endpoint as string | undefined) ?? (env.FASTPATH_ENDPOINT || DEFAULT_ENDPOINT));
  return {
    kind: 'run',
    command,
    args,
    opts: values,
    globals: { endpoint, json: values.json === true, timeoutMs: parseTimeout(values.timeout as string | undefined) },
  };
}

// ---- option values ----

/**
 * A non-negative integer option in its exact range (src/dataplane/limits.ts), or
 * undefined when absent: checked here, before the request encodes it.
 */
export function intOption(opts: OptionValues, name: string, range: Range = RANGES.uint32): number | undefined {
  const s = opts[name];
  if (typeof s !== 'string') return undefined;
  if (!/^\d{1,16}$/.test(s) || !inRange(range, Number(s))) {
    throw new UsageError(`--${name} must be an integer in ${rangeText(range)}, got '${s.length > 40 ? `${s.slice(0, 40)}…` : s}'`);
  }
  return Number(s);
}

/** A number given as an argument or inside a value (what names it), in its exact range. */
export function intValue(s: string, what: string, range: Range): number {
  if (!/^\d{1,16}$/.test(s) || !inRange(range, Number(s))) {
    throw new UsageError(`${what} must be an integer in ${rangeText(range)}, got '${s.length > 40 ? `${s.slice(0, 40)}…` : s}'`);
  }
  return Number(s);
}

/** A file mode in octal, as chmod takes it: 0660, 660 or 0o660. */
export function modeOption(opts: OptionValues, name: string, range: Range = RANGES.dirMode): number | undefined {
  const s = opts[name];
  if (typeof s !== 'string') return undefined;
  const m = /^(?:0o?)?([0-7]{1,4})$/.exec(s);
  if (!m || !inRange(range, parseInt(m[1]!, 8))) {
    throw new UsageError(`--${name} must be an octal file mode in ${rangeText(range)}, such as 0660, got '${s.length > 40 ? `${s.slice(0, 40)}…` : s}'`);
  }
  return parseInt(m[1]!, 8);
}

/** One of a fixed set of words. */
export function choiceOption<T extends string>(opts: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const s = opts[name];
  if (typeof s !== 'string') return undefined;
  if (!(choices as readonly string[]).includes(s)) throw new UsageError(`--${name} must be ${choices.join(' or ')}, got '${s}'`);
  return s as T;
}

/** --rxq-affinity "0:2,1:3" (queue:lcore, as OVS's pmd-rxq-affinity);
 * "" clears every pin. Whether each lcore is a worker is the daemon's to say. */
export function affinityOption(opts: OptionValues, name = 'rxq-affinity'): Record<number, number> | undefined {
  const s = opts[name];
  if (s === undefined) return undefined;
  if (typeof s !== 'string') throw new UsageError(`--${name} needs QUEUE:LCORE,…`);
  const out: Record<number, number> = {};
  for (const item of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^(\d{1,2}):(\d{1,4})$/.exec(item);
    if (!m) throw new UsageError(`--${name}: '${item}' is not QUEUE:LCORE (e.g. 0:2,1:3)`);
    const q = intValue(m[1]!, `--${name} queue`, { ...RANGES.queues, lo: 0, hi: RANGES.queues.hi - 1 });
    if (out[q] !== undefined) throw new UsageError(`--${name}: queue ${q} is named twice`);
    out[q] = intValue(m[2]!, `--${name} lcore`, RANGES.lcore);
  }
  return out;
}

/** A repeatable option, each value also a comma-separated list (--peer A
 * --peer B, or --peers A,B): every item, in order; [] when absent. */
export function listOption(opts: OptionValues, ...names: string[]): string[] {
  return names.flatMap((n) => {
    const v = opts[n];
    if (v === undefined || typeof v === 'boolean') return [];
    return (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  });
}
