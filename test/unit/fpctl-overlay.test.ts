// SPDX-License-Identifier: Apache-2.0
// fpctl uplink / overlay, run in-process against the OverlayService on a
// real unix socket (test/harness/overlay-api.ts): what people read, what
// scripts parse (--json carries every field), and the exit statuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listOption, UsageError } from '../../src/cli/args.js';
import { staticMacValue } from '../../src/cli/commands/overlay.js';
import { runCli } from '../../src/cli/run.js';
import { startOverlayApi, type OverlayApi } from '../harness/overlay-api.js';

let api: OverlayApi;
beforeAll(async () => {
  api = await startOverlayApi();
  for (const name of ['blue', 'red']) await api.orch.createNetwork({ name });
});
afterAll(async () => api?.close());

async function fpctl(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const code = await runCli(argv, {
    stdout: (t) => { out.stdout += t; }, stderr: (t) => { out.stderr += t; },
    env: { FASTPATH_ENDPOINT: api.endpoint }, signal: new AbortController().signal,
  });
  return { code, ...out };
}

describe('fpctl uplink', () => {
  it('adds an uplink and says what it got; the same again changes nothing', async () => {
    const add = ['uplink', 'add', 'eth1', '--driver', 'af_xdp', '--address', '10.1.0.5/24', '--gateway', '10.1.0.1', '--mtu', '1550'];
    expect(await fpctl(...add)).toEqual({
      code: 0, stderr: '',
      stdout: 'added uplink eth1: af_xdp, address 10.1.0.5/24 via 10.1.0.1, mac 02:00:00:00:00:01, mtu 1550, link up\n',
    });
    expect((await fpctl(...add)).stdout).toMatch(/^uplink eth1 already existed with this spec \(.*\); nothing changed\n$/);
    const json = await fpctl('uplink', 'add', 'eth2', '--driver', 'af_packet', '--queues', '2', '--address', '10.2.0.5/24', '--json');
    expect(JSON.parse(json.stdout)).toEqual({
      created: true,
      uplink: {
        name: 'eth2', iface: 'eth2', driver: 'af_packet', pci: '', queues: 2, address: '10.2.0.5/24', gateway: '', mtu: 0,
        status: { linkUp: true, mac: '02:00:00:00:00:01', mtuInUse: 1500, neighbours: [], rxPackets: '0', txPackets: '0', drops: {} },
      },
    });
  });

  it('stops a bad command line before sending it (exit 2)', async () => {
    for (const argv of [
      ['uplink', 'add', 'eth3', '--address', '10.3.0.5/24'], // no driver
      ['uplink', 'add', 'eth3', '--driver', 'vfio', '--address', '10.3.0.5/24'],
      ['uplink', 'add', 'eth3', '--driver', 'af_xdp'], // no address
      ['uplink', 'add', 'eth3', '--driver', 'pci', '--address', '10.3.0.5/24'], // no --pci
      ['uplink', 'add', 'eth3', '--driver', 'af_xdp', '--address', '10.3.0.5/24', '--queues', '17'],
    ]) {
      const r = await fpctl(...argv);
      expect([r.code, r.stdout], argv.join(' ')).toEqual([2, '']);
      expect(r.stderr).toMatch(/^fpctl: .*\nusage: fpctl uplink add <iface> /);
    }
    expect(api.dp.uplinks.has('eth3')).toBe(false);
  });

  it("shows fastpathd's refusal with its status (exit 1): a devarg smuggled in the name, a missing interface", async () => {
    expect(await fpctl('uplink', 'add', 'eth1,iface=lo', '--driver', 'af_xdp', '--address', '10.3.0.5/24')).toMatchObject({
      code: 1, stdout: '', stderr: expect.stringMatching(/^fpctl: kernel interface name must be .*\(INVALID_ARGUMENT\)\n$/),
    });
    expect(await fpctl('uplink', 'add', 'eth9', '--driver', 'af_xdp', '--address', '10.3.0.5/24')).toMatchObject({
      code: 1, stderr: expect.stringMatching(/no network interface eth9 .*\(NOT_FOUND\)/),
    });
  });
});

describe('fpctl overlay', () => {
  it('sets overlays from repeated --peer, --peers lists and --static-mac', async () => {
    const r = await fpctl('overlay', 'set', 'blue', '--uplink', 'eth1', '--vni', '42', '--peer', '10.1.0.7', '--peer', '10.1.0.6',
      '--static-mac', '02:AA:00:00:00:01@10.1.0.6/10', '--peer-mac-limit', '100');
    expect(r).toEqual({
      code: 0, stderr: '',
      stdout: 'network blue: VNI 42 over uplink eth1 to 2 peer(s) (10.1.0.6, 10.1.0.7), 1 static MAC(s); frames up to 1514 bytes\n',
    });
    expect(api.keeper.state.overlays?.[0]).toEqual({
      network: 'blue', uplink: 'eth1', vni: 42, peers: ['10.1.0.6', '10.1.0.7'],
      staticMacs: [{ mac: '02:aa:00:00:00:01', vlan: 10, peer: '10.1.0.6' }], peerMacLimit: 100,
    });
    expect((await fpctl('overlay', 'set', 'red', '--uplink', 'eth2', '--vni', '7', '--peers', '10.2.0.6, 10.2.0.8', '--peer', '10.2.0.9')).code).toBe(0);
    expect(api.keeper.state.overlays?.[1]?.peers).toEqual(['10.2.0.6', '10.2.0.8', '10.2.0.9']);
    const again = await fpctl('overlay', 'set', 'red', '--uplink', 'eth2', '--vni', '7', '--peers', '10.2.0.9,10.2.0.8,10.2.0.6');
    expect(again.stdout).toMatch(/^network red already had this overlay .*; nothing changed\n$/);
  });

  it('refuses a bad VNI on the command line (exit 2) and a taken one in fastpathd (exit 1)', async () => {
    for (const vni of ['0', '16777216', '-1', '1.5', 'x', '']) {
      const r = await fpctl('overlay', 'set', 'red', '--uplink', 'eth1', `--vni=${vni}`, '--peer', '10.1.0.6');
      expect([r.code, r.stderr.split('\n')[0]], vni).toEqual([2, `fpctl: --vni must be an integer in 1..16777215, got '${vni}'`]);
    }
    // A value that looks like an option: parseArgs' first sentence, then the usage.
    expect((await fpctl('overlay', 'set', 'red', '--uplink', 'eth1', '--vni', '-1')).stderr.split('\n')[0]).toBe("fpctl: option '--vni' argument is ambiguous");
    expect(await fpctl('overlay', 'set', 'red', '--uplink', 'eth1', '--vni', '42', '--peer', '10.1.0.6')).toMatchObject({
      code: 1, stderr: 'fpctl: VNI 42 is network blue\'s on uplink eth1 (ALREADY_EXISTS)\n',
    });
    expect((await fpctl('overlay', 'set', 'red', '--uplink', 'eth1', '--vni', '9', '--peer', '10.1.0.5')).stderr).toMatch(/own endpoint.*\(INVALID_ARGUMENT\)/);
    expect((await fpctl('overlay', 'set', 'red', '--uplink', 'eth1', '--vni', '9', '--peer', '10.1.0.6', '--static-mac', '02:00:00:00:00:01')).code).toBe(2);
    expect((await fpctl('overlay', 'set', 'nope', '--uplink', 'eth1', '--vni', '9')).stderr).toMatch(/no network named nope \(NOT_FOUND\)/);
  });

  it('lists overlays and their tunnels, then uplinks with neighbours', async () => {
    api.dp.counters.set('vxlan:blue:10.1.0.6', { rxPackets: 2n ** 64n - 1n, txPackets: 3n, drops: { mtu: 4n, tx_full: 1n } });
    api.dp.counters.set('eth1', { rxPackets: 11n, txPackets: 12n, drops: { uplink_other: 13n } });
    api.dp.neighbours.set('eth1', [{ ip: '10.1.0.6', mac: '02:00:00:00:00:06', resolved: true }, { ip: '10.1.0.7', mac: '00:00:00:00:00:00', resolved: false }]);
    const list = await fpctl('overlay', 'list');
    expect(list.stdout.split('\n')).toEqual([
      'NETWORK  VNI  UPLINK  MAX_FRAME  PEERS  STATIC_MACS  PEER_MAC_LIMIT',
      'blue      42  eth1         1514      2            1             100',
      'red        7  eth2         1464      3            0            none',
      '',
      'NETWORK  PEER      PORT                 LINK               RX_PKTS  TX_PKTS  DROPS',
      'blue     10.1.0.6  vxlan:blue:10.1.0.6  up    18446744073709551615        3      5',
      'blue     10.1.0.7  vxlan:blue:10.1.0.7  up                       0        0      0',
      'red      10.2.0.6  vxlan:red:10.2.0.6   up                       0        0      0',
      'red      10.2.0.8  vxlan:red:10.2.0.8   up                       0        0      0',
      'red      10.2.0.9  vxlan:red:10.2.0.9   up                       0        0      0',
      '',
    ]);
    const json = JSON.parse((await fpctl('overlay', 'list', 'blue', '--json')).stdout);
    expect(json).toEqual({
      overlays: [{
        network: 'blue', uplink: 'eth1', vni: 42, peers: ['10.1.0.6', '10.1.0.7'],
        staticMacs: [{ mac: '02:aa:00:00:00:01', vlan: 10, peer: '10.1.0.6' }], peerMacLimit: 100, maxFrame: 1514,
        tunnels: [
          { peer: '10.1.0.6', port: 'vxlan:blue:10.1.0.6', linkUp: true, rxPackets: '18446744073709551615', txPackets: '3', drops: { mtu: '4', tx_full: '1' } },
          { peer: '10.1.0.7', port: 'vxlan:blue:10.1.0.7', linkUp: true, rxPackets: '0', txPackets: '0', drops: {} },
        ],
      }],
    });
    expect(await fpctl('overlay', 'list', 'nope')).toMatchObject({ code: 1, stderr: expect.stringMatching(/\(NOT_FOUND\)/) });

    const ups = await fpctl('uplink', 'list');
    expect(ups.stdout.split('\n')).toEqual([
      'NAME  DRIVER     ADDRESS      LINK  MAC                 MTU  RX_PKTS  TX_PKTS  DROPS',
      'eth1  af_xdp     10.1.0.5/24  up    02:00:00:00:00:01  1550       11       12     13',
      'eth2  af_packet  10.2.0.5/24  up    02:00:00:00:00:01  1500        0        0      0',
      '',
      'eth1 neighbours:',
      '  10.1.0.6 -> 02:00:00:00:00:06',
      '  10.1.0.7 -> unresolved',
      '',
    ]);
    const uj = JSON.parse((await fpctl('uplink', 'list', '--json')).stdout);
    expect(uj.uplinks[0]).toEqual({
      name: 'eth1', iface: 'eth1', driver: 'af_xdp', pci: '', queues: 1, address: '10.1.0.5/24', gateway: '10.1.0.1', mtu: 1550,
      status: {
        linkUp: true, mac: '02:00:00:00:00:01', mtuInUse: 1550, rxPackets: '11', txPackets: '12', drops: { uplink_other: '13' },
        neighbours: [{ ip: '10.1.0.6', mac: '02:00:00:00:00:06', resolved: true }, { ip: '10.1.0.7', mac: '', resolved: false }],
      },
    });
  });

  it('deletes in order: the uplink under an overlay is refused, the overlay goes, then the uplink', async () => {
    expect(await fpctl('uplink', 'del', 'eth1')).toMatchObject({ code: 1, stderr: expect.stringMatching(/carries network\(s\) blue.*\(FAILED_PRECONDITION\)/) });
    expect(await fpctl('network', 'del', 'blue')).toMatchObject({ code: 1, stderr: expect.stringMatching(/fpctl overlay del blue.*\(FAILED_PRECONDITION\)/) });
    expect(await fpctl('overlay', 'del', 'blue')).toEqual({ code: 0, stdout: 'removed the overlay of network blue\n', stderr: '' });
    expect(await fpctl('overlay', 'del', 'blue')).toMatchObject({ code: 1, stderr: 'fpctl: network blue has no overlay (NOT_FOUND)\n' });
    expect(await fpctl('overlay', 'del', 'blue', '--if-exists')).toMatchObject({ code: 0 });
    expect(await fpctl('overlay', 'del', 'blue', '--json')).toMatchObject({ code: 1 });
    expect(await fpctl('uplink', 'del', 'eth1', '--json')).toEqual({ code: 0, stdout: '{}\n', stderr: '' });
    expect(await fpctl('uplink', 'del', 'eth1')).toMatchObject({ code: 1, stderr: 'fpctl: no uplink named eth1 (NOT_FOUND)\n' });
    expect(await fpctl('uplink', 'del', 'eth1', '--if-exists')).toEqual({ code: 0, stdout: 'uplink eth1 is gone\n', stderr: '' });
    expect((await fpctl('overlay', 'list', 'blue')).stderr).toBe('fpctl: network blue has no overlay\n');
  });

  it('documents the repeatable options', async () => {
    const h = await fpctl('help', 'overlay', 'set');
    expect(h.stdout).toMatch(/^usage: fpctl overlay set <network> \[--uplink IFACE\] \[--vni N\] \[--peer IP\]\.\.\. \[--peers IP,…\] \[--static-mac MAC@IP\[\/VLAN\]\]\.\.\. /);
    expect((await fpctl('help')).stdout).toMatch(/uplink add <iface> \[options\][^\n]*\n[\s\S]*overlay list \[<network>\]/);
  });
});

describe('fpctl overlay option values', () => {
  it('takes repeated and comma-separated lists alike', () => {
    expect(listOption({ peer: ['a', 'b,c'], peers: ' d , e,' }, 'peer', 'peers')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(listOption({}, 'peer')).toEqual([]);
  });

  it('reads MAC@PEER[/VLAN], leaving the MAC and address to fastpathd', () => {
    expect(staticMacValue('02:aa:00:00:00:01@10.1.0.6')).toEqual({ mac: '02:aa:00:00:00:01', peer: '10.1.0.6', vlan: 0 });
    expect(staticMacValue('02:aa:00:00:00:01@10.1.0.6/4094')).toEqual({ mac: '02:aa:00:00:00:01', peer: '10.1.0.6', vlan: 4094 });
    for (const bad of ['02:aa:00:00:00:01', '@10.1.0.6', 'm@a@b', 'm@10.1.0.6/4095', 'm@10.1.0.6/', 'm@10.1.0.6/1/2']) {
      expect(() => staticMacValue(bad), bad).toThrow(UsageError);
    }
  });
});
