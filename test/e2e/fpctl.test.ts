// SPDX-License-Identifier: Apache-2.0
// fpctl end to end: the real CLI (src/cli/fpctl.mjs, as `npx fpctl` runs
// it) against the real fastpathd over its gRPC socket. Every command, its
// --json output checked against the API, its exit status and messages; a
// testpmd container attached with exactly what `fpctl attach` printed, so
// `events` and `stats` show a real guest and real traffic.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import type { PortEvent__Output } from '../../src/api/gen/fastpath/v1/PortEvent.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { Daemon } from '../helpers/daemon.js';
import { AUTO_PATH_RE } from '../helpers/exception-path.js';
import { until } from '../helpers/fixture.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FPCTL = join(ROOT, 'src', 'cli', 'fpctl.mjs');

let d: Daemon;
let endpoint: string;
const children = new Set<ChildProcess>();
let cnf: TestpmdContainer | undefined;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running fpctl whose output we can wait on (for `events`). */
class FpctlProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Result>;

  constructor(readonly proc: ChildProcess) {
    children.add(proc);
    proc.stdout!.on('data', (b: Buffer) => { this.stdout += b.toString(); });
    proc.stderr!.on('data', (b: Buffer) => { this.stderr += b.toString(); });
    this.exited = new Promise((resolve) => proc.once('close', (code) => {
      children.delete(proc);
      resolve({ code, stdout: this.stdout, stderr: this.stderr });
    }));
  }

  async waitFor(what: 'stdout' | 'stderr', re: RegExp, timeoutMs = 30_000): Promise<void> {
    await until(async () => this[what], (s) => re.test(s), `fpctl ${what} to match ${re}`, timeoutMs)
      .catch((e: Error) => { throw new Error(`${e.message}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`); });
  }
}

function start(args: string[], env: NodeJS.ProcessEnv = {}, withEndpoint = true): FpctlProcess {
  const argv = [FPCTL, ...(withEndpoint ? ['--endpoint', endpoint] : []), ...args];
  // FASTPATH_ENDPOINT is cleared so only what a test passes applies.
  const base = { ...process.env };
  delete base.FASTPATH_ENDPOINT;
  return new FpctlProcess(spawn(process.execPath, argv, { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Run fpctl to completion. */
function fpctl(...args: string[]): Promise<Result> {
  return start(args).exited;
}

/** Run fpctl, expect success, parse its --json output. */
async function fpctlJson<T>(...args: string[]): Promise<T> {
  const r = await fpctl(...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

async function expectFailure(args: string[], code: number, stderr: string | RegExp): Promise<void> {
  const r = await fpctl(...args);
  if (typeof stderr === 'string') expect(r.stderr).toBe(stderr);
  else expect(r.stderr).toMatch(stderr);
  expect(r.stdout).toBe('');
  expect(r.code).toBe(code);
}

const api = {
  getPort: (name: string) => d.client.unary(d.client.ports, d.client.ports.GetPort, { name }),
  listPorts: (network = '') => d.client.unary(d.client.ports, d.client.ports.ListPorts, { network }),
  stats: (name = '') => d.client.unary(d.client.ports, d.client.ports.GetPortStats, { name }),
  getNetwork: (name: string) => d.client.unary(d.client.networks, d.client.networks.GetNetwork, { name }),
  listNetworks: () => d.client.unary(d.client.networks, d.client.networks.ListNetworks, {}),
  listFlows: (network: string) => d.client.unary(d.client.flows, d.client.flows.ListFlows, { network }),
};

async function apiCode(p: Promise<unknown>): Promise<number | undefined> {
  return p.then(() => undefined, (e: { code?: number }) => e.code);
}

beforeAll(async () => {
  d = await Daemon.start(Daemon.fresh('fpctl'));
  endpoint = `unix://${d.paths.grpcSocket}`;
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await cnf?.kill();
  await d?.dispose();
});

describe('fpctl', () => {
  it('prints usage (exit 0) and rejects a bad command line (exit 2) without calling fastpathd', async () => {
    const help = await fpctl('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: fpctl /);
    expect(help.stdout).toMatch(/Exit status: 0 success; 1 fastpathd refused/);
    const portAdd = await fpctl('help', 'port', 'add');
    expect(portAdd.stdout).toMatch(/--socket-mode MODE +socket file mode, octal \(default 0660\)/);
    await expectFailure(['port', 'add'], 2, /^fpctl: missing <name>\nusage: fpctl port add <name> \[--network NAME\]/);
    await expectFailure(['frobnicate'], 2, "fpctl: unknown command 'frobnicate'\n(see 'fpctl help')\n");
    await expectFailure(['port', 'add', 'x', '--mode', 'both'], 2, /^fpctl: --mode must be server or client, got 'both'\n/);
  });

  it('says clearly when fastpathd is not there (exit 3), and reads FASTPATH_ENDPOINT', async () => {
    const gone = `unix://${d.paths.base}/nothing-here.sock`;
    const r = await start(['--endpoint', gone, 'port', 'list'], {}, false).exited;
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`fpctl: cannot reach fastpathd at ${gone}: is it running? (npm start)\nfpctl: (connect ENOENT ${d.paths.base}/nothing-here.sock)\n`);
    const viaEnv = await start(['network', 'list', '--json'], { FASTPATH_ENDPOINT: d.paths.grpcSocket }, false).exited;
    expect(viaEnv.code).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toEqual(await api.listNetworks());
  });

  it('network add / list / del, with idempotency and the API errors', async () => {
    const created = await fpctlJson<{ created: boolean; network: object }>('network', 'add', 'blue', '--vlan', '10', '--mtu', '9000');
    expect(created).toEqual({ created: true, network: { name: 'blue', vlan: 10, mtu: 9000, portCount: 0, kernelInterface: null } });
    expect((await api.getNetwork('blue')).network).toEqual(created.network);

    const again = await fpctl('network', 'add', 'blue', '--vlan', '10', '--mtu', '9000');
    expect(again).toMatchObject({ code: 0, stdout: 'network blue already existed with this spec (vlan 10, mtu 9000); nothing changed\n' });
    await expectFailure(['network', 'add', 'blue', '--vlan', '11'], 1,
      'fpctl: network blue already exists with a different spec (vlan 10, mtu 9000) (ALREADY_EXISTS)\n');
    await expectFailure(['network', 'add', 'blue', '--mtu', '20'], 2, /^fpctl: --mtu must be an integer in 68\.\.9000, got '20'\n/);

    expect(await fpctlJson('network', 'list')).toEqual(await api.listNetworks());
    const table = await fpctl('network', 'list');
    expect(table.stdout).toMatch(/^NAME +VLAN +MTU +PORTS\n/);
    expect(table.stdout).toMatch(/^blue +10 +9000 +0$/m);

    expect(await fpctl('network', 'del', 'blue')).toMatchObject({ code: 0, stdout: 'deleted network blue\n' });
    expect(await apiCode(api.getNetwork('blue'))).toBe(5); // NOT_FOUND
    await expectFailure(['network', 'del', 'blue'], 1, 'fpctl: no network named blue (NOT_FOUND)\n');
    expect((await fpctl('network', 'del', 'blue', '--if-exists')).code).toBe(0);

    expect((await fpctl('network', 'add', 'web')).stdout).toBe('created network web (vlan trunk, mtu 1500)\n');
  });

  it('port add prints the socket, MAC, EAL args and docker run; --json matches the API; the same spec again is idempotent', async () => {
    const res = await fpctlJson<{ created: boolean; port: Port__Output }>('port', 'add', 'web0', '--network', 'web');
    expect(res.created).toBe(true);
    const got = (await api.getPort('web0')).port!;
    expect(res.port.mac).toBe(got.mac);
    expect(res.port.mac).toMatch(/^02:fa:57:/);
    expect(res.port.attach).toEqual(got.attach);
    expect(res.port.spec).toEqual(got.spec);
    // Client mode by default: the container will serve the socket; fastpath
    // connects once it is there.
    expect(got.spec!.mode).toBe('PORT_MODE_CLIENT');
    expect(existsSync(got.attach!.socketPath)).toBe(false);

    const a = got.attach!;
    const human = await fpctl('port', 'add', 'web0', '--network', 'web');
    expect(human.code).toBe(0);
    expect(human.stderr).toBe('');
    expect(human.stdout).toMatch(/^port web0 already existed with this spec \(network web\); nothing changed\n/);
    expect(human.stdout).toContain(`\nsocket: ${a.socketPath}\n`);
    expect(human.stdout).toContain(`\nmac:    ${got.mac}\n`);
    expect(human.stdout).toContain(`\nmount:  ${a.hostDir} -> /run/fastpath `);
    expect(human.stdout).toContain(`EAL arguments for the container's DPDK application:\n${a.ealArgs.map((x) => `  ${x}\n`).join('')}`);
    expect(human.stdout).toContain(`docker run example:\n  ${a.dockerRun}\n`);
    expect(a.ealArgs[0]).toBe(`--vdev=net_virtio_user0,path=/run/fastpath/sock,mac=${got.mac},queues=1,server=1`);

    await expectFailure(['port', 'add', 'web0', '--network', 'web', '--queues', '2'], 1,
      'fpctl: port web0 already exists with a different spec (ALREADY_EXISTS)\n');
    await expectFailure(['port', 'add', 'x', '--network', 'nosuch'], 1,
      'fpctl: no network named nosuch (NOT_FOUND)\nfpctl: create it first: fpctl network add nosuch\n');
    await expectFailure(['port', 'add', 'x', '--network', 'web', '--mac', got.mac], 1,
      `fpctl: MAC ${got.mac} is already used by port web0 (ALREADY_EXISTS)\n`);
    expect(await apiCode(api.getPort('x'))).toBe(5);
  });

  it('port add passes every option through to the API and the file system', async () => {
    const res = await fpctlJson<{ port: Port__Output }>('port', 'add', 'web1', '--network', 'web', '--mode', 'client', '--queues', '2',
      '--mac', '02:aa:00:00:00:01', '--vlan', '20', '--uid', '1234', '--gid', '5678', '--socket-mode', '0600', '--dir-mode', '0710');
    const spec = (await api.getPort('web1')).port!.spec!;
    expect(res.port.spec).toEqual(spec);
    expect(spec).toEqual({
      name: 'web1', network: 'web', mode: 'PORT_MODE_CLIENT', queues: 2, mac: '02:aa:00:00:00:01', vlan: 20,
      type: 'PORT_TYPE_VHOST_USER', memifRingLog2: 0, memifBufferSize: 0,
      access: { uid: 1234, gid: 5678, mode: 0o600, dirMode: 0o710 },
      security: null, maxMacs: 64, rxqAffinity: {},
    });
    const dir = statSync(res.port.attach!.hostDir);
    expect([dir.mode & 0o7777, dir.uid, dir.gid]).toEqual([0o710, 1234, 5678]);
    expect(res.port.attach!.ealArgs[0]).toMatch(/,queues=2,server=1$/);

    // Port security and the learned-MAC limit.
    const sec = await fpctlJson<{ port: Port__Output }>('port', 'add', 'web3', '--network', 'web', '--allowed-ips', '10.0.0.7,fd00::7',
      '--max-macs', '8');
    expect(sec.port.spec).toMatchObject({ security: { allowedMacs: [], allowedIps: ['10.0.0.7', 'fd00::7'] }, maxMacs: 8 });
    expect((await fpctl('port', 'show', 'web3')).stdout).toMatch(/^security: +on: MACs 02:[0-9a-f:]+; addresses 10\.0\.0\.7, fd00::7$/m);
    await expectFailure(['port', 'add', 'web4', '--network', 'web', '--allowed-ips', '10.0.0.0/24'], 1,
      /^fpctl: port security: allowed IP "10.0.0.0\/24": an address, not a prefix \(INVALID_ARGUMENT\)\n/);
    expect((await fpctl('port', 'del', 'web3')).code).toBe(0);

    // No --network: the network called "default" (made idempotently here,
    // whether or not fastpathd made one on its first start).
    expect((await fpctl('network', 'add', 'default')).code).toBe(0);
    expect((await fpctl('port', 'add', 'web2')).code).toBe(0);
    expect((await api.getPort('web2')).port!.spec!.network).toBe('default');
  });

  it('port list and port show, as tables and as the API says with --json', async () => {
    expect(await fpctlJson('port', 'list')).toEqual(await api.listPorts());
    const inWeb = await fpctlJson<{ ports: Port__Output[] }>('port', 'list', '--network', 'web');
    expect(inWeb.ports.map((p) => p.spec!.name)).toEqual(['web0', 'web1']);

    const table = (await fpctl('port', 'list')).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME +NETWORK +MODE +QUEUES +VLAN +MAC +LINK +SOCKET$/);
    const web1 = (await api.getPort('web1')).port!;
    expect(table).toContain(`web1  web      client       2  20    02:aa:00:00:00:01  down  ${web1.attach!.socketPath}`);
    expect(table.filter((l) => /^web\d /.test(l))).toHaveLength(3);

    expect(await fpctlJson('port', 'show', 'web1')).toEqual(await api.getPort('web1'));
    const show = (await fpctl('port', 'show', 'web1')).stdout;
    expect(show).toMatch(/^name: +web1$/m);
    expect(show).toMatch(/^mode: +client$/m);
    expect(show).toMatch(/^access: +uid 1234, gid 5678, socket 0600, dir 0710$/m);
    expect(show).toMatch(/^link: +down$/m);
    // A server-mode port says its container must restart with fastpathd.
    await fpctl('port', 'add', 'web9', '--network', 'web', '--mode', 'server');
    expect((await fpctl('port', 'show', 'web9')).stdout).toMatch(/^mode: +server \(does not survive a fastpathd restart: restart its container after one; client mode does\)$/m);
    await fpctl('port', 'del', 'web9');
    await expectFailure(['port', 'show', 'nosuch'], 1, 'fpctl: no port named nosuch (NOT_FOUND)\n');
  });

  it('attach prints what a container needs, and a container started with exactly that attaches; events and stats follow it', async () => {
    const port = (await api.getPort('web0')).port!;
    const a = port.attach!;
    expect(await fpctlJson('attach', 'web0')).toEqual(a);
    const human = (await fpctl('attach', 'web0')).stdout;
    expect(human).toContain(`socket: ${a.socketPath}\n`);
    expect(human).toContain(`mount:  ${a.hostDir} -> ${a.containerDir} `);
    expect(human).toContain(a.ealArgs.map((x) => `  ${x}\n`).join(''));
    expect(human).toContain(`as one line:\n  ${a.ealArgs.join(' ')}\n`);
    expect(human).toContain(`  ${a.dockerRun}\n`);
    const oneLine = await fpctl('attach', 'web0', '--oneline');
    expect(oneLine.stdout).toBe(`${a.ealArgs.join(' ')}\n`);

    // Two watchers: every port as JSON, and web0 alone for people.
    const all = start(['events', '--json']);
    const web0 = start(['events', '--port', 'web0']);
    await all.waitFor('stderr', /watching events of every port \(Ctrl-C to stop\)/);
    await web0.waitFor('stderr', /watching events of port web0/);

    // The container gets its port directory and the one line fpctl printed.
    cnf = await TestpmdContainer.start({
      name: 'fpctl-web0',
      ports: [{ hostDir: a.hostDir, mac: port.mac }],
      attachArgs: oneLine.stdout.trim().split(' '),
    });
    await all.waitFor('stdout', /"type":"PORT_EVENT_TYPE_CONNECTED"/);
    await web0.waitFor('stdout', /\bconnected\b/);

    // Traffic: 4 bursts of 32 from the guest, to nobody (the only other
    // port of the network has no guest).
    await cnf.cmd('start tx_first 4');
    const st = await until(() => api.stats('web0'), (r) => r.stats[0]!.rxPackets === '128', 'web0 rx 128');
    expect(await fpctlJson('stats', 'web0')).toEqual(st);
    const s = st.stats[0]!;
    const drops = Object.values(s.drops).reduce((x, y) => x + BigInt(y), 0n);
    const reasons = Object.entries(s.drops).filter(([, n]) => n !== '0').map(([k, n]) => `${k}=${n}`).join(' ') || '-';
    const table = (await fpctl('stats', 'web0')).stdout.split('\n');
    expect(table[0]).toMatch(/^PORT +NETWORK +LINK +RX_PKTS +RX_BYTES +TX_PKTS +TX_BYTES +DROPS +DROPS_BY_REASON +PEER_ERRORS$/);
    expect(table[1]).toMatch(new RegExp(`^web0 +web +up +128 +${s.rxBytes} +${s.txPackets} +${s.txBytes} +${drops} +${reasons} +-$`));
    const every = await fpctlJson<{ stats: Array<{ name: string }> }>('stats');
    expect(every.stats.map((x) => x.name)).toEqual(['web0', 'web1', 'web2']);

    await cnf.cmd('stop');
    await cnf.stop();
    cnf = undefined;
    await all.waitFor('stdout', /"type":"PORT_EVENT_TYPE_DISCONNECTED"/);
    await web0.waitFor('stdout', /\bdisconnected\b/);

    // Ctrl-C ends a watch cleanly.
    all.proc.kill('SIGINT');
    web0.proc.kill('SIGINT');
    const [j, h] = await Promise.all([all.exited, web0.exited]);
    expect(j.code).toBe(0);
    expect(h.code).toBe(0);
    expect(j.stderr).toBe('fpctl: watching events of every port (Ctrl-C to stop)\n');

    const evs = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as PortEvent__Output);
    expect(evs.every((e) => e.port === 'web0')).toBe(true);
    const conn = evs.find((e) => e.type === 'PORT_EVENT_TYPE_CONNECTED')!;
    expect(conn.queuePairs).toBe(1);
    expect(BigInt(conn.features)).toBeGreaterThan(0n);
    expect(Math.abs(Number(conn.timeMs) - Date.now())).toBeLessThan(120_000);
    expect(evs.findIndex((e) => e.type === 'PORT_EVENT_TYPE_DISCONNECTED')).toBeGreaterThan(evs.indexOf(conn));
    const lines = h.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z +web0 +connected +features=0x${BigInt(conn.features).toString(16)} queue_pairs=1$`)));
    expect(lines).toContainEqual(expect.stringMatching(/Z +web0 +disconnected$/));
    expect(lines.every((l) => / web0 /.test(l))).toBe(true);

    await expectFailure(['events', '--port', 'nosuch'], 1,
      'fpctl: watching events of port nosuch (Ctrl-C to stop)\nfpctl: no port named nosuch (NOT_FOUND)\n');
  });

  it('hugepages reserve, list, pool and release, as the API says', async () => {
    const r = await fpctlJson<{ created: boolean; reservation: { owner: string; mountPath: string; pages: number } }>('hugepages', 'reserve', 'fp-c1', '8');
    expect(r).toMatchObject({ created: true, reservation: { owner: 'fp-c1', pages: 4 } });
    expect((await fpctl('hugepages', 'reserve', 'fp-c1', '8')).stdout).toMatch(/already had this reservation/);
    const listed = await d.client.unary(d.client.hugepages, d.client.hugepages.List, {});
    expect(await fpctlJson('hugepages', 'list')).toEqual(listed);
    expect((await fpctl('hugepages', 'list')).stdout).toMatch(new RegExp(`^fp-c1 +8 MiB +2M +0 MiB +0770 +yes +${r.reservation.mountPath}$`, 'm'));
    const pool = await fpctlJson<{ pools: Array<{ pageSize: string; reservedByFastpath: number }> }>('hugepages', 'pool');
    expect(pool.pools.find((p) => p.pageSize === 'PAGE_SIZE_2M')?.reservedByFastpath).toBe(4);
    expect((await fpctl('hugepages', 'pool')).stdout).toMatch(/^PAGE +TOTAL +FREE +KERNEL-RSVD +RESERVED +FASTPATH +AVAILABLE$/m);
    await expectFailure(['hugepages', 'reserve', 'fp-c2', '1048576'], 1, /^fpctl: asked 1048576 MiB \(524288 pages of 2M\) for fp-c2, but only \d+ pages .* \(RESOURCE_EXHAUSTED\)\n$/);
    expect(await fpctl('hugepages', 'release', 'fp-c1')).toMatchObject({ code: 0, stdout: 'released the hugepages of fp-c1\n' });
    await expectFailure(['hugepages', 'release', 'fp-c1'], 1, 'fpctl: no hugepage reservation for owner fp-c1 (NOT_FOUND)\n');
    expect((await fpctl('hugepages', 'release', 'fp-c1', '--if-exists')).code).toBe(0);
  });

  it('info shows the daemon, DPDK, lcores and memory', async () => {
    const info = await fpctlJson<Record<string, unknown> & { lcores: Array<{ lcore: number; role: string; packets: number }> }>('info');
    const fromApi = await d.client.unary(d.client.system, d.client.system.GetSystemInfo, {});
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(info).toMatchObject({
      version: pkg.version, dpdkVersion: fromApi.dpdkVersion, mainLcore: 0, workerLcores: [1], exceptionPath: expect.stringMatching(AUTO_PATH_RE),
      hugePages: fromApi.hugePages, memory: fromApi.memory, mbufsTotal: fromApi.mbufsTotal,
    });
    expect(info.dpdkVersion).toMatch(/^DPDK 22\.11/);
    expect(info.lcores).toEqual([expect.objectContaining({ lcore: 1, role: 'worker' })]);
    expect(Number(info.lcores[0]!.packets)).toBeGreaterThanOrEqual(128);

    const human = (await fpctl('info')).stdout;
    expect(human).toMatch(new RegExp(`^version: +${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
    expect(human).toMatch(/^dpdk: +DPDK 22\.11/m);
    expect(human).toMatch(/^worker lcores: +1$/m);
    expect(human).toMatch(new RegExp(`^exception path: +${AUTO_PATH_RE.source.slice(1)}`, 'm'));
    expect(human).toMatch(/^mbufs in use: +\d+ of \d+$/m);
    expect(human).toMatch(/^LCORE +ROLE +PACKETS +CYCLES\/PKT +CYCLES\/PKT\(1s\) +BUSY% +BUSY%\(1s\)\n +1 +worker +\d+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$/m);
  });

  it('flow add / dump / del / replace / miss, with a caret under a typo', async () => {
    const add = await fpctl('flow', 'add', 'web', 'priority=100,tcp,nw_dst=10.0.0.7/24,tp_dst=80,actions=output:web1');
    expect(add).toMatchObject({ code: 0, stdout: expect.stringMatching(/^added flow (\d+): priority=100,tcp,nw_dst=10\.0\.0\.0\/24,tp_dst=80,actions=output:web1\n$/) });
    const id = Number(/flow (\d+)/.exec(add.stdout)![1]);
    expect((await fpctl('flow', 'add', 'web', 'tcp,priority=100,tp_dst=80,nw_dst=10.0.0.0/24,actions=output:web1')).stdout)
      .toBe(`flow ${id} already existed: priority=100,tcp,nw_dst=10.0.0.0/24,tp_dst=80,actions=output:web1; nothing changed\n`);
    // A typo is pointed at, and fastpathd never hears of it (exit 2).
    await expectFailure(['flow', 'add', 'web', 'priority=100,tcp,nw_dst=10.0.0.0/24,tp_dts=80,actions=drop'], 2,
      `fpctl: unknown field "tp_dts"\n  priority=100,tcp,nw_dst=10.0.0.0/24,tp_dts=80,actions=drop\n  ${' '.repeat(36)}^^^^^^^^^\n` +
      "usage: fpctl flow add <network> <flow>\n(see 'fpctl help flow add')\n");
    await expectFailure(['flow', 'add', 'web', 'actions=output:nosuch'], 1, 'fpctl: no port named nosuch (NOT_FOUND)\n');
    await expectFailure(['flow', 'add', 'web', 'actions=punt'], 1, /punt needs a kernel exception interface.*\(FAILED_PRECONDITION\)\n$/);

    const dump = await fpctl('flow', 'dump', 'web');
    expect(dump.stdout).toBe(` id=${id}, n_packets=0, n_bytes=0, priority=100,tcp,nw_dst=10.0.0.0/24,tp_dst=80,actions=output:web1\n` +
      ' table miss: n_packets=0, n_bytes=0, actions=normal\n');
    expect(await fpctlJson('flow', 'dump', 'web')).toEqual(await api.listFlows('web'));

    const file = join(tmpdir(), `fpctl-flows-${process.pid}.txt`);
    writeFileSync(file, '# web tier\npriority=100,tcp,nw_dst=10.0.0.0/24,tp_dst=80,actions=output:web1\n\npriority=5,in_port=web1,actions=drop # quarantine\n');
    expect((await fpctl('flow', 'replace', 'web', file)).stdout).toBe('network web now has 2 flow(s)\n');
    const listed = (await api.listFlows('web')).flows;
    expect(listed.map((f) => f.id)).toContain(id); // unchanged rule: same id
    writeFileSync(file, 'priority=5,in_port=web1,actions=drop\npriority=6,ip,nw_dst=1.2.3.4/33,actions=drop\n');
    await expectFailure(['flow', 'replace', 'web', file], 2, new RegExp(`^fpctl: ${file}:2: nw_dst: prefix length must be 0..32`));
    rmSync(file);

    expect((await fpctl('flow', 'miss', 'web', 'drop')).stdout).toBe('network web: packets no flow matches are now dropped\n');
    expect((await fpctl('flow', 'dump', 'web')).stdout).toMatch(/ table miss: n_packets=0, n_bytes=0, actions=drop\n$/);
    expect((await fpctl('flow', 'miss', 'web', 'normal')).code).toBe(0);
    expect(await fpctl('flow', 'del', 'web', 'priority=5,in_port=web1,actions=normal')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^deleted flow \d+ of network web\n$/) });
    expect(await fpctl('flow', 'del', 'web', String(id))).toMatchObject({ code: 0, stdout: `deleted flow ${id} of network web\n` });
    await expectFailure(['flow', 'del', 'web', String(id)], 1, `fpctl: network web has no flow ${id} (NOT_FOUND)\n`);
    expect((await fpctl('flow', 'del', 'web', String(id), '--if-exists')).code).toBe(0);
    expect((await fpctl('flow', 'del', 'web', '--all')).stdout).toBe('deleted every flow of network web\n');
  });

  it('port del and network del, with NOT_FOUND, --if-exists and a network still in use', async () => {
    const dir = (await api.getPort('web0')).port!.attach!.hostDir;
    expect(await fpctl('port', 'del', 'web0')).toMatchObject({ code: 0, stdout: 'deleted port web0\n' });
    expect(await apiCode(api.getPort('web0'))).toBe(5);
    expect(existsSync(dir)).toBe(false);
    await expectFailure(['port', 'del', 'web0'], 1, 'fpctl: no port named web0 (NOT_FOUND)\n');
    expect(await fpctl('port', 'del', 'web0', '--if-exists')).toMatchObject({ code: 0, stderr: '' });
    expect(await fpctlJson('port', 'del', 'web2')).toEqual({});

    await expectFailure(['network', 'del', 'web'], 1, /^fpctl: network web still has 1 port\(s\): web1; delete them first \(FAILED_PRECONDITION\)\n$/);
    expect((await fpctl('port', 'del', 'web1')).code).toBe(0);
    expect((await fpctl('network', 'del', 'web')).code).toBe(0);
    expect((await api.listPorts()).ports).toEqual([]);
    const none = await fpctl('port', 'list');
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'fpctl: no ports (create one with: fpctl port add <name>)\n' });
  });

  it('runs as `npx fpctl` from the project directory (the package.json bin)', async () => {
    // --no: never fetch a package called fpctl from the registry; `--` keeps
    // npx from reading fpctl's options as its own.
    const r = await new FpctlProcess(spawn('npx', ['--no', '--', 'fpctl', '--endpoint', endpoint, 'network', 'list', '--json'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    })).exited;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(await api.listNetworks());
  });
});
