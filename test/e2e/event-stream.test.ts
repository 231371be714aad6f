// SPDX-License-Identifier: Apache-2.0
// WatchPortEvents against a tenant that makes events as fast as it can
// (native/test/fp_hostile event_flood: a ready queue whose enable bit it
// flips thousands of times) while one watcher reads and another has
// stopped reading. The one that stopped is dropped with RESOURCE_EXHAUSTED
// once its bounded backlog fills (it reads why when it reads again); the
// one that reads keeps its stream; the daemon keeps answering.
import { spawn, type ChildProcess } from 'node:child_process';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { Daemon } from '../helpers/daemon.js';
import { until } from '../helpers/fixture.js';
import { runHostile } from '../helpers/hostile.js';

const BACKLOG = 128;
let d: Daemon;
let port: Port__Output;
let victim: Port__Output;
let guest: TestpmdContainer | undefined;
let watcher: Stalled | undefined;

/**
 * A watcher in a process of its own with a 256-byte HTTP/2 window: once it
 * has its subscription it is stopped (SIGSTOP), so it reads nothing, not
 * even from its socket. Continued, it prints the bytes and the gRPC
 * messages it got and the trailers as one JSON line and exits.
 */
const WATCHER = `
import { connect, constants as h2 } from 'node:http2';
import { connect as netConnect } from 'node:net';
const session = connect('http://localhost', { createConnection: () => netConnect(process.argv[1]), settings: { initialWindowSize: 256 } });
session.on('error', () => undefined);
const stream = session.request({ ':method': 'POST', ':path': '/fastpath.v1.PortService/WatchPortEvents', 'content-type': 'application/grpc', te: 'trailers' });
stream.on('error', () => undefined);
let bytes = 0;
let messages = 0;
let pending = Buffer.alloc(0);
stream.on('data', (b) => {
  bytes += b.length;
  pending = Buffer.concat([pending, b]);
  while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
    messages++;
    pending = pending.subarray(5 + pending.readUInt32BE(1));
  }
});
stream.on('response', () => process.stdout.write('subscribed\\n'));
stream.on('trailers', (t) => { process.stdout.write(JSON.stringify({ bytes, messages, trailers: t }) + '\\n'); session.close(); });
stream.end(Buffer.alloc(5));
`;

interface Stalled {
  proc: ChildProcess;
  out: string;
}

async function stalledWatcher(socket: string): Promise<Stalled> {
  const w: Stalled = { proc: spawn(process.execPath, ['--input-type=module', '-e', WATCHER, socket], { stdio: ['ignore', 'pipe', 'inherit'] }), out: '' };
  w.proc.stdout!.on('data', (b: Buffer) => { w.out += b.toString(); });
  await until(async () => w.out, (o) => o.includes('subscribed'), 'the watcher subscribed', 15_000);
  w.proc.kill('SIGSTOP');
  return w;
}

describe('event streams under an event flood', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('events'), ['--stream-backlog', String(BACKLOG)]);
    await d.client.unary(d.client.networks, d.client.networks.CreateNetwork, { network: { name: 'n' } });
    port = (await d.client.unary(d.client.ports, d.client.ports.CreatePort, { port: { name: 'flood', network: 'n', mode: 'PORT_MODE_SERVER' } })).port!;
    victim = (await d.client.unary(d.client.ports, d.client.ports.CreatePort, { port: { name: 'victim', network: 'n', mode: 'PORT_MODE_SERVER' } })).port!;
  });

  afterAll(async () => {
    watcher?.proc.kill('SIGKILL');
    await guest?.kill();
    await d?.dispose();
  });

  it('drops the watcher that stopped reading with RESOURCE_EXHAUSTED; the reading one gets every event', async () => {
    const fast = d.client.ports.WatchPortEvents({});
    let fastEvents = 0;
    let fastError: grpc.ServiceError | undefined;
    const victimEvents: string[] = [];
    fast.on('data', (m: { event: { port: string; type: string } }) => {
      fastEvents++;
      if (m.event.port === 'victim') victimEvents.push(m.event.type);
    });
    fast.on('error', (e: grpc.ServiceError) => { fastError = e; });
    await new Promise((r) => fast.once('metadata', r));
    const slow = await stalledWatcher(d.paths.grpcSocket);
    watcher = slow;

    // Another tenant's guest connects during the flood: its link event
    // must not be among those the flood loses.
    const flood = runHostile('vhost', port.attach!.socketPath, 1, 12, 0, 'event_flood');
    guest = await TestpmdContainer.start({ name: 'ev-victim', ports: [{ hostDir: victim.attach!.hostDir, mac: victim.mac }], forwardMode: 'rxonly' });
    const r = await flood;
    expect(r.attacks.event_flood).toBe(12);
    await until(async () => victimEvents, (k) => k.includes('PORT_EVENT_TYPE_CONNECTED'), 'the victim\'s link-up event', 15_000);
    // Far more events than the slow watcher's backlog and window could hold.
    await until(async () => fastEvents, (n) => n > 2 * BACKLOG, `the reading watcher sees the flood (${fastEvents} events)`, 30_000);

    // Continued, the stopped one reads what was queued, then why it ended.
    slow.proc.kill('SIGCONT');
    await until(async () => slow.out, (o) => o.includes('trailers'), 'the stopped watcher\'s trailers', 30_000);
    const got = JSON.parse(slow.out.split('\n').find((l) => l.includes('trailers'))!) as { bytes: number; messages: number; trailers: Record<string, string> };
    expect(got.trailers['grpc-status']).toBe(String(grpc.status.RESOURCE_EXHAUSTED));
    expect(decodeURIComponent(got.trailers['grpc-message']!)).toMatch(/^WatchPortEvents: the client fell \d+ messages behind; stream dropped/);
    // Bounded: what the window let through plus at most 8 backlogs, not the flood.
    expect(got.bytes).toBeLessThan(8 * BACKLOG * 64 + 256);
    // Not the flood: it got a prefix of the events, the reading one every
    // event, among them the one that found the backlog full. (Bytes against
    // 20 per event were flaky: a short flood fits in 8 backlogs.)
    expect(got.messages).toBeGreaterThan(0);
    expect(got.messages).toBeLessThan(fastEvents);

    // The metrics interceptor saw how it ended.
    const metrics = await (await fetch(d.metricsUrl!)).text();
    expect(metrics).toMatch(/fastpath_grpc_requests_total\{method="WatchPortEvents",code="8"\} 1/);
    expect(fastError).toBeUndefined();
    const info = await d.client.unary(d.client.system, d.client.system.GetSystemInfo, {});
    expect(info.version).not.toBe('');
    fast.cancel();
  });
});
