// SPDX-License-Identifier: Apache-2.0
// The ovs-ofctl-like flow syntax: what parses to what, canonical printing
// (a rule written two ways is one rule), and errors that point at the bad
// token.
import { describe, expect, it } from 'vitest';

import { ApiError } from '../../src/core/errors.js';
import { matchKey, normaliseFlowSpec, specKey } from '../../src/core/flows/flow-spec.js';
import { FlowParseError, formatFlow, parseFlow } from '../../src/core/flows/flow-text.js';
import { loopFlowTexts } from '../../bench/lib/flow-rules.js';

function parseError(text: string): FlowParseError {
  try {
    parseFlow(text);
  } catch (e) {
    if (e instanceof FlowParseError) return e;
    throw e;
  }
  throw new Error(`parsed: ${text}`);
}

describe('flow text', () => {
  it('parses the issue example into a canonical spec', () => {
    const s = parseFlow('priority=100,ip,nw_dst=10.0.0.0/24,tp_dst=80,actions=output:web0'.replace('ip,', 'tcp,'));
    expect(s).toEqual({
      priority: 100,
      match: { dlType: 0x0800, nwProto: 6, nwDst: '10.0.0.0/24', tpDst: { lo: 80, hi: 80 } },
      actions: [{ type: 'output', port: 'web0' }],
    });
    expect(formatFlow(s)).toBe('priority=100,tcp,nw_dst=10.0.0.0/24,tp_dst=80,actions=output:web0');
  });

  it('round-trips every field and action through its canonical text', () => {
    const texts = [
      'priority=7,in_port=a,dl_vlan=42,dl_src=02:bb:00:00:00:00/ff:ff:00:00:00:00,dl_dst=02:cc:00:00:00:01,actions=pop_vlan,output:b,output:c',
      'priority=0,udp6,ipv6_src=fd00:1::/64,ipv6_dst=fd00::9,tp_src=1000-1999,tp_dst=53,actions=push_vlan:77,normal',
      'priority=65535,tcp,nw_src=192.168.0.0/16,tcp_flags=0x002/0x012,actions=set_dst_mac:02:dd:00:00:00:01,flood',
      'priority=5,dl_type=0x88b5,actions=drop',
      'priority=5,ip,nw_proto=89,actions=punt',
      'priority=5,arp,actions=normal',
      'priority=9,tcp,tp_dst=22,nw_frag=not_later,actions=drop',
      'priority=9,ipv6,nw_frag=later,actions=drop',
    ];
    for (const t of texts) {
      const s = parseFlow(t);
      expect(formatFlow(s)).toBe(t);
      expect(parseFlow(formatFlow(s))).toEqual(s);
    }
  });

  it('writes one rule one way: host bits cleared, aliases folded, defaults filled', () => {
    const a = parseFlow('tcp,nw_dst=10.0.0.77/24,tcp_dst=80,tcp_flags=+syn-ack,actions=output:web0');
    const b = parseFlow('priority=32768,nw_proto=6,dl_type=0x0800,tp_dst=80-80,nw_dst=10.0.0.0/24,tcp_flags=0x2/0x12,actions=output:web0');
    expect(specKey(a)).toBe(specKey(b));
    expect(a.priority).toBe(32768);
    expect(parseFlow('ip,nw_dst=10.0.0.1/32,actions=drop').match.nwDst).toBe('10.0.0.1');
    expect(parseFlow('ipv6,ipv6_dst=FD00:0:0:0::1/128,actions=drop').match.nwDst).toBe('fd00::1');
    expect(parseFlow('actions=strip_vlan,mod_dl_dst:02:00:00:00:00:01,normal').actions.map((x) => x.type))
      .toEqual(['pop_vlan', 'set_dst_mac', 'normal']);
    // Same priority and match, other actions: same match key, different spec.
    const c = parseFlow('tcp,nw_dst=10.0.0.0/24,tp_dst=80,tcp_flags=+syn-ack,actions=drop');
    expect(matchKey(c)).toBe(matchKey(a));
    expect(specKey(c)).not.toBe(specKey(a));
  });

  it('points at the offending token', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['ip,nw_dst=10.0.0.300/24,actions=drop', 'nw_dst=10.0.0.300/24', /not an IPv4 or IPv6 address/],
      ['ip,nw_dst=10.0.0.0/33,actions=drop', 'nw_dst=10.0.0.0/33', /prefix length must be 0..32/],
      ['tcp,tp_dst=80-70,actions=drop', 'tp_dst=80-70', /empty/],
      ['tcp,tp_dst=http,actions=drop', 'tp_dst=http', /port/],
      ['nw_dst=10.0.0.0/24,actions=drop', 'nw_dst=10.0.0.0/24', /needs dl_type/],
      ['ip,tp_dst=80,actions=drop', 'tp_dst=80', /needs nw_proto/],
      ['priority=70000,actions=drop', 'priority=70000', /0..65535/],
      ['dl_vlan=4095,actions=drop', 'dl_vlan=4095', /0..4094/],
      ['colour=blue,actions=drop', 'colour=blue', /unknown field/],
      ['ip,ip,actions=drop', 'ip', /twice/],
      ['tcp,tcp_flags=+syn+fyn,actions=drop', 'tcp_flags=+syn+fyn', /unknown TCP flag "fyn"/],
      ['actions=output:a,drop', 'actions=output:a,drop', /conflicts/],
      ['actions=output:a,push_vlan:5', 'actions=output:a,push_vlan:5', /after output/],
      ['actions=push_vlan:5,pop_vlan,normal', 'actions=push_vlan:5,pop_vlan,normal', /conflict/],
      ['actions=teleport:b', 'teleport:b', /unknown action/],
      ['actions=output', 'output', /needs port/],
      ['ip,nw_dst=10.0.0.0/24', 'ip,nw_dst=10.0.0.0/24'.slice(-12), /missing actions/],
    ];
    for (const [text, token, reason] of cases) {
      const e = parseError(text);
      expect({ text, token: e.token }).toEqual({ text, token });
      expect(e.reason).toMatch(reason);
      expect(e.kind).toBe('INVALID_ARGUMENT');
      if (token !== text.slice(-12)) expect(text.slice(e.column - 1, e.column - 1 + token.length)).toBe(token);
    }
  });

  it('rejects specs given as API messages with field-named errors', () => {
    const bad = (input: Parameters<typeof normaliseFlowSpec>[0]): string => {
      try {
        normaliseFlowSpec(input);
      } catch (e) {
        if (e instanceof ApiError) return e.message;
        throw e;
      }
      return 'accepted';
    };
    expect(bad({ priority: 1, actions: [] })).toMatch(/at least one action/);
    expect(bad({ priority: 1, actions: [{ type: 'output', port: '' }] })).toMatch(/output needs a port/);
    expect(bad({ priority: 1, actions: Array.from({ length: 9 }, (_, i) => ({ type: 'output', port: `p${i}` })) })).toMatch(/at most 8/);
    expect(bad({ priority: 1, match: { dlType: 0x0800, nwDst: 'fd00::/64' }, actions: [{ type: 'drop' }] })).toMatch(/IPv6 but dl_type says IPv4/);
    expect(bad({ priority: 1, match: { dlDst: '02:00:00:00:00:01/00:00:00:00:00:00' }, actions: [{ type: 'drop' }] })).toMatch(/matches everything/);
    expect(bad({ priority: 1, match: { dlType: 0x0800, nwProto: 17, tpDst: { lo: 0, hi: 65535 } }, actions: [{ type: 'drop' }] })).toMatch(/every port/);
    expect(bad({ priority: 1, actions: [{ type: 'push_vlan', vlan: 0 }, { type: 'normal' }] })).toMatch(/push_vlan id/);
  });

  it('generates the bench rule sets as valid rules', () => {
    const t = loopFlowTexts(1000);
    expect(t).toHaveLength(1000);
    for (const x of t) expect(formatFlow(parseFlow(x))).toBe(x);
  });

  it('takes nw_frag as ovs-ofctl spells it, for IP only, and refuses later fragments with L4 fields', () => {
    expect(parseFlow('ip,nw_frag=first,actions=drop').match.nwFrag).toBe('first');
    expect(parseError('nw_frag=yes,actions=drop').message).toMatch(/nw_frag needs dl_type/);
    expect(parseError('ip,nw_frag=maybe,actions=drop').message).toMatch(/nw_frag must be one of no, yes, first, later, not_later/);
    const e = parseError('tcp,tp_dst=22,nw_frag=later,actions=drop');
    expect(e.message).toMatch(/never matches/);
    expect(e.token).toBe('nw_frag=later');
  });
});
