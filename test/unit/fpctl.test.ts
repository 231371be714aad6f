// SPDX-License-Identifier: Apache-2.0
// fpctl's pure parts: command-line parsing, option values, request
// building, tables, formatting, and how failures become messages and exit
// statuses. The real CLI against the real daemon is test/e2e/fpctl.test.ts.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';

import { DEFAULT_ENDPOINT } from '../../src/api/client.js';
import type { PortEvent__Output } from '../../src/api/gen/fastpath/v1/PortEvent.js';
import { leadingWords, modeOption, parseCommandLine, UsageError, type Invocation } from '../../src/cli/args.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { portRequest } from '../../src/cli/commands/port.js';
import { connectReason, describeFailure } from '../../src/cli/errors.js';
import {
  dropReasons, formatDuration, formatEventLine, formatMode, shellJoin, totalDrops,
} from '../../src/cli/format.js';
import { runCli } from '../../src/cli/run.js';
import { renderFields, renderTable } from '../../src/cli/table.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}): Invocation => parseCommandLine(argv, env, COMMANDS);

function run(argv: string[]): Extract<Invocation, { kind: 'run' }> {
  const inv = parse(argv);
  if (inv.kind !== 'run') throw new Error(`expected a command, got ${JSON.stringify(inv)}`);
  return inv;
}

function usageError(argv: string[]): UsageError {
  try {
    parse(argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('fpctl command line', () => {
  it('finds the command and its arguments, with global options anywhere', () => {
    const inv = run(['--endpoint', 'unix:///x.sock', 'port', 'add', 'web0', '--json', '--queues', '2', '--timeout', '1.5']);
    expect(inv.command.words).toEqual(['port', 'add']);
    expect(inv.args).toEqual(['web0']);
    expect(inv.opts.queues).toBe('2');
    expect(inv.globals).toEqual({ endpoint: 'unix:///x.sock', json: true, timeoutMs: 1500 });
    expect(run(['stats']).args).toEqual([]);
    expect(run(['stats', 'web0']).args).toEqual(['web0']);
  });

  it('takes the endpoint from --endpoint, then FASTPATH_ENDPOINT, then the default; a bare path is a unix socket', () => {
    expect(run(['info']).globals.endpoint).toBe(DEFAULT_ENDPOINT);
    expect(parse(['info'], { FASTPATH_ENDPOINT: '/tmp/fp.sock' })).toMatchObject({ globals: { endpoint: 'unix:///tmp/fp.sock' } });
    expect(parse(['info', '--endpoint=unix:///a'], { FASTPATH_ENDPOINT: '/b' })).toMatchObject({ globals: { endpoint: 'unix:///a' } });
    expect(run(['info']).globals.timeoutMs).toBe(30_000);
  });

  it('skips global option values when looking for the command words', () => {
    expect(leadingWords(['--endpoint', 'port', 'network', 'list'], 2)).toEqual(['network', 'list']);
    expect(leadingWords(['--timeout=3', '--json', 'port', 'show', 'x'], 3)).toEqual(['port', 'show', 'x']);
  });

  it('answers help in every usual spelling', () => {
    expect(parse(['help'])).toEqual({ kind: 'help' });
    expect(parse(['--help'])).toEqual({ kind: 'help' });
    expect(parse(['help', 'port'])).toEqual({ kind: 'help', noun: 'port' });
    expect(parse(['port', '-h'])).toEqual({ kind: 'help', noun: 'port' });
    expect(parse(['help', 'port', 'add'])).toMatchObject({ kind: 'help', command: { words: ['port', 'add'] } });
    expect(parse(['port', 'add', '--help'])).toMatchObject({ kind: 'help', command: { words: ['port', 'add'] } });
  });

  it.each([
    [[], /missing command/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['port'], /'port' needs one of: add, del, list, show/],
    [['port', 'frob'], /unknown command 'port frob'/],
    [['port', 'add'], /missing <name>/],
    [['port', 'show', 'a', 'b'], /unexpected argument 'b'/],
    [['port', 'list', '--bogus'], /unknown option '--bogus'/],
    [['port', 'list', '--network'], /--network/],
    [['info', '--timeout', '0'], /--timeout must be a positive number/],
  ])('rejects %j with a usage error', (argv, message) => {
    expect(usageError(argv as string[]).message).toMatch(message);
  });
});

describe('fpctl option values', () => {
  it('builds the CreatePort request, leaving unset options to the daemon', () => {
    expect(portRequest('web0', {})).toEqual({ port: { name: 'web0', network: 'default', access: {} } });
    expect(portRequest('web1', {
      network: 'blue', mode: 'client', queues: '2', mac: '02:aa:00:00:00:01', vlan: '20',
      uid: '0', gid: '5678', 'socket-mode': '0600', 'dir-mode': '750',
    })).toEqual({
      port: {
        name: 'web1', network: 'blue', mode: 'PORT_MODE_CLIENT', queues: 2, mac: '02:aa:00:00:00:01', vlan: 20,
        access: { uid: 0, gid: 5678, mode: 0o600, dirMode: 0o750 }, // uid 0 is asked for, not unset
      },
    });
  });

  it('reads file modes in octal, as chmod does', () => {
    expect(modeOption({ m: '0660' }, 'm')).toBe(0o660);
    expect(modeOption({ m: '0o710' }, 'm')).toBe(0o710);
    expect(modeOption({}, 'm')).toBeUndefined();
    expect(() => modeOption({ m: '0680' }, 'm')).toThrow(/octal/);
  });

  it('rejects values that are not what the option takes', () => {
    expect(() => portRequest('x', { queues: '-1' })).toThrow(/--queues must be an integer in 1..16/);
    expect(() => portRequest('x', { vlan: '4294967306' })).toThrow(/--vlan must be an integer in 0..4094/);
    expect(() => portRequest('x', { uid: '4294967296' })).toThrow(/--uid must be an integer in 0..4294967294/);
    expect(() => portRequest('x', { vlan: '1e3' })).toThrow(UsageError);
    expect(() => portRequest('x', { mode: 'both' })).toThrow(/--mode must be server or client/);
  });
});

describe('fpctl output', () => {
  it('aligns table columns, numbers to the right', () => {
    const t = renderTable([{ header: 'NAME' }, { header: 'RX', align: 'right' }], [['web0', '5'], ['database', '12345']]);
    expect(t).toBe(['NAME         RX', 'web0          5', 'database  12345'].join('\n'));
    expect(renderFields([['mac', 'm'], ['socket', 's']])).toBe('mac:    m\nsocket: s');
  });

  it('formats modes, drops and durations for people', () => {
    expect(formatMode(0o660)).toBe('0660');
    const drops = { runt: '0', no_dest: '3', link_down: '18446744073709551615' };
    expect(totalDrops(drops)).toBe(18446744073709551618n); // exact past 2^64 too
    expect(dropReasons(drops)).toBe('no_dest=3 link_down=18446744073709551615');
    expect(dropReasons({ runt: '0' })).toBe('-');
    expect(formatDuration(3725.9)).toBe('1h 2m 5s');
    expect(formatDuration(0)).toBe('0s');
  });

  it('prints one event per line: time, port, event, details', () => {
    const base: PortEvent__Output = { port: 'web0', type: 'PORT_EVENT_TYPE_CONNECTED', features: String(2 ** 32 + 0x8000), queuePairs: 1, vring: 0, enabled: false, timeMs: String(Date.UTC(2025, 0, 2, 3, 4, 5, 678)), reason: '' };
    expect(formatEventLine(base)).toMatch(/^2025-01-02T03:04:05\.678Z {2}web0 +connected +features=0x100008000 queue_pairs=1$/);
    expect(formatEventLine({ ...base, type: 'PORT_EVENT_TYPE_DISCONNECTED' })).toMatch(/ disconnected$/);
    expect(formatEventLine({ ...base, type: 'PORT_EVENT_TYPE_DISCONNECTED', reason: 'guest memory fault' }))
      .toMatch(/ disconnected +reason="guest memory fault"$/);
    expect(formatEventLine({ ...base, type: 'PORT_EVENT_TYPE_QUEUE_STATE', vring: 1, enabled: true })).toMatch(/queue-state +vring=1 \(from guest\) enabled$/);
  });

  it('joins EAL arguments into one line a shell splits back the same way', () => {
    expect(shellJoin(['--vdev=net_virtio_user0,path=/run/fastpath/sock,mac=02:fa:57:00:00:01', '--file-prefix=web0']))
      .toBe('--vdev=net_virtio_user0,path=/run/fastpath/sock,mac=02:fa:57:00:00:01 --file-prefix=web0');
    expect(shellJoin(['a b', "it's"])).toBe(`'a b' 'it'\\''s'`);
  });
});

describe('fpctl failures', () => {
  const ctx = { endpoint: 'unix:///run/fastpath/fastpath.sock', timeoutMs: 30_000, connected: true };
  const status = (code: grpc.status, details: string): grpc.ServiceError =>
    Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });

  it("shows fastpathd's message with the status name, exit 1", () => {
    expect(describeFailure(status(grpc.status.ALREADY_EXISTS, 'port web0 already exists with a different spec'), ctx)).toEqual({
      lines: ['port web0 already exists with a different spec (ALREADY_EXISTS)'], exitCode: 1,
    });
  });

  it('says fastpathd is not reachable, exit 3, and why when grpc-js says', () => {
    const details = 'No connection established. Last error: Error: connect ENOENT /run/fastpath/fastpath.sock. Resolution note: ';
    expect(connectReason(details)).toBe('connect ENOENT /run/fastpath/fastpath.sock');
    expect(describeFailure(status(grpc.status.UNAVAILABLE, details), { ...ctx, connected: false })).toEqual({
      lines: ['cannot reach fastpathd at unix:///run/fastpath/fastpath.sock: is it running? (npm start)', '(connect ENOENT /run/fastpath/fastpath.sock)'],
      exitCode: 3,
    });
    const denied = describeFailure(status(grpc.status.UNAVAILABLE, 'Last error: Error: connect EACCES /x.sock'), { ...ctx, connected: false });
    expect(denied.lines[0]).toMatch(/permission denied on its socket/);
    // Once connected, UNAVAILABLE is fastpathd's own answer (e.g. no data plane).
    expect(describeFailure(status(grpc.status.UNAVAILABLE, 'data plane not running'), ctx).lines).toEqual(['data plane not running (UNAVAILABLE)']);
    expect(describeFailure(status(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded'), ctx)).toMatchObject({ exitCode: 3 });
  });

  it('runs in-process: help exits 0, usage errors exit 2, no daemon exits 3', async () => {
    const io = (env: NodeJS.ProcessEnv = {}) => {
      const out = { stdout: '', stderr: '' };
      return { out, io: { stdout: (t: string) => { out.stdout += t; }, stderr: (t: string) => { out.stderr += t; }, env, signal: new AbortController().signal } };
    };
    const help = io();
    expect(await runCli(['--help'], help.io)).toBe(0);
    expect(help.out.stdout).toMatch(/^usage: fpctl/);
    for (const c of COMMANDS) expect(help.out.stdout).toContain(c.words.join(' '));

    const bad = io();
    expect(await runCli(['port', 'add'], bad.io)).toBe(2);
    expect(bad.out.stderr).toBe("fpctl: missing <name>\nusage: fpctl port add <name> [--network NAME] [--type vhost-user|memif] [--memif-ring-log2 N] [--memif-buffer-size BYTES] [--mode client|server] [--queues N] [--mac MAC] [--vlan N] [--uid UID] [--gid GID] [--socket-mode MODE] [--dir-mode MODE] [--port-security] [--allowed-macs MAC,…] [--allowed-ips IP,…] [--max-macs N] [--rxq-affinity Q:LCORE,…]\n(see 'fpctl help port add')\n");

    const gone = io({ FASTPATH_ENDPOINT: '/nonexistent/fastpath.sock' });
    expect(await runCli(['port', 'list'], gone.io)).toBe(3);
    expect(gone.out.stderr).toMatch(/^fpctl: cannot reach fastpathd at unix:\/\/\/nonexistent\/fastpath.sock: is it running\? \(npm start\)\n/);
  });
});
