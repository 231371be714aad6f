// SPDX-License-Identifier: Apache-2.0
// fpctl flow add | del | dump | replace | miss: flow rules in the text form
// ovs-ofctl users know, parsed here so a typo is pointed at before anything
// is sent.
import { readFile } from 'node:fs/promises';

import { toProtoSpec } from '../../api/flow-convert.js';
import type { Flow__Output } from '../../api/gen/fastpath/v1/Flow.js';
import { matchKey, type FlowSpec } from '../../core/flows/flow-spec.js';
import { FlowParseError, parseFlow } from '../../core/flows/flow-text.js';
import { RANGES } from '../../dataplane/limits.js';
import { intValue, UsageError } from '../args.js';
import type { CommandSpec, Context } from '../command.js';

/** Parse, or explain the error under the offending token. */
export function parseOrExplain(text: string, where = ''): FlowSpec {
  try {
    return parseFlow(text);
  } catch (e) {
    if (!(e instanceof FlowParseError)) throw e;
    const caret = `${' '.repeat(Math.max(0, e.column - 1))}${'^'.repeat(Math.max(1, Math.min(e.token.length, 40)))}`;
    throw new UsageError(`${where}${e.reason}\n  ${text}\n  ${caret}`);
  }
}

function dumpLine(f: Flow__Output): string {
  return ` id=${f.id}, n_packets=${f.packets}, n_bytes=${f.bytes}, ${f.text}`;
}

async function listFlows(ctx: Context, network: string) {
  const c = ctx.client;
  return c.unary(c.flows, c.flows.ListFlows, { network });
}

export const flowAdd: CommandSpec = {
  words: ['flow', 'add'],
  args: ['<network>', '<flow>'],
  summary: 'add a flow rule, e.g. "priority=100,tcp,nw_dst=10.0.0.0/24,tp_dst=80,actions=output:web0"',
  details: `Match fields: in_port=PORT dl_src=MAC[/MASK] dl_dst=MAC[/MASK] dl_vlan=N dl_type=N
  ip ipv6 arp tcp udp sctp icmp tcp6 udp6 sctp6 icmp6 nw_src=PREFIX nw_dst=PREFIX
  (ipv6_src/ipv6_dst) nw_proto=N tp_src=N[-M] tp_dst=N[-M] tcp_flags=+syn-ack|VALUE/MASK
Actions (rewrites first): push_vlan:ID pop_vlan set_dst_mac:MAC, then one of
  output:PORT[,output:PORT…] drop normal flood punt. priority defaults to 32768.`,
  async run(ctx, [network, text]) {
    const spec = parseOrExplain(text!);
    const c = ctx.client;
    const res = await c.unary(c.flows, c.flows.AddFlow, { network, spec: toProtoSpec(spec) });
    if (ctx.json) return ctx.printJson(res);
    const f = res.flow!;
    ctx.print(res.created ? `added flow ${f.id}: ${f.text}` : `flow ${f.id} already existed: ${f.text}; nothing changed`);
  },
};

export const flowDel: CommandSpec = {
  words: ['flow', 'del'],
  args: ['<network>', '[<id-or-flow>]'],
  summary: 'delete a flow by id, or the one with exactly this priority and match; --all deletes every flow',
  options: {
    all: { type: 'boolean', help: 'delete every flow of the network' },
    'if-exists': { type: 'boolean', help: 'succeed when there is no such flow' },
  },
  async run(ctx, [network, which], opts) {
    const c = ctx.client;
    if (opts.all === true) {
      if (which !== undefined) throw new UsageError('give either --all or a flow, not both');
      const res = await c.unary(c.flows, c.flows.ReplaceFlows, { network, specs: [] });
      if (ctx.json) return ctx.printJson(res);
      return ctx.print(`deleted every flow of network ${network}`);
    }
    if (which === undefined) throw new UsageError('which flow? give its id, its text, or --all');
    let id: number;
    if (/^\d+$/.test(which)) {
      id = intValue(which, 'flow id', RANGES.uint32);
    } else {
      const key = matchKey(parseOrExplain(which));
      const hit = (await listFlows(ctx, network!)).flows.find((f) => matchKey(parseFlow(f.text)) === key);
      if (!hit) {
        if (opts['if-exists'] === true) return ctx.print(`no such flow in network ${network}; nothing to delete`);
        throw new Error(`network ${network} has no flow with this priority and match`);
      }
      id = hit.id;
    }
    const res = await c.unary(c.flows, c.flows.DeleteFlow, { network, id, allowMissing: opts['if-exists'] === true });
    if (ctx.json) return ctx.printJson(res);
    ctx.print(`deleted flow ${id} of network ${network}`);
  },
};

export const flowDump: CommandSpec = {
  words: ['flow', 'dump'],
  args: ['<network>'],
  summary: 'list a network\'s flows with their counters, highest priority first',
  async run(ctx, [network]) {
    const res = await listFlows(ctx, network!);
    if (ctx.json) return ctx.printJson(res);
    const miss = res.missAction === 'MISS_ACTION_DROP' ? 'drop' : 'normal';
    ctx.print([
      ...res.flows.map(dumpLine),
      ` table miss: n_packets=${res.missPackets}, n_bytes=${res.missBytes}, actions=${miss}`,
    ].join('\n'));
  },
};

export const flowReplace: CommandSpec = {
  words: ['flow', 'replace'],
  args: ['<network>', '<file>'],
  summary: 'atomically replace every flow of a network with the rules in a file (one per line, # comments; - for stdin)',
  async run(ctx, [network, file]) {
    const body = file === '-' ? await readStdin() : await readFile(file!, 'utf8');
    const specs = body.split('\n').map((l, i) => ({ line: i + 1, text: l.replace(/#.*/, '').trim() }))
      .filter((l) => l.text !== '')
      .map((l) => toProtoSpec(parseOrExplain(l.text, `${file}:${l.line}: `)));
    const c = ctx.client;
    const res = await c.unary(c.flows, c.flows.ReplaceFlows, { network, specs });
    if (ctx.json) return ctx.printJson(res);
    ctx.print(`network ${network} now has ${res.flows.length} flow(s)`);
  },
};

export const flowMiss: CommandSpec = {
  words: ['flow', 'miss'],
  args: ['<network>', '<normal|drop>'],
  summary: 'what happens to packets no flow matches: normal switching (default) or drop',
  async run(ctx, [network, action]) {
    if (action !== 'normal' && action !== 'drop') throw new UsageError(`miss action must be normal or drop, got ${action}`);
    const c = ctx.client;
    const res = await c.unary(c.flows, c.flows.SetMissAction, {
      network, action: action === 'drop' ? 'MISS_ACTION_DROP' : 'MISS_ACTION_NORMAL',
    });
    if (ctx.json) return ctx.printJson(res);
    ctx.print(`network ${network}: packets no flow matches are now ${action === 'drop' ? 'dropped' : 'switched normally'}`);
  },
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
