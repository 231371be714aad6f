// SPDX-License-Identifier: Apache-2.0
// The overlay's peer watch (src/k8s/peer-watch.ts) against a real HTTP
// server standing in for the Kubernetes API server: list, then watch
// events; 410 and errors lead to a fresh list; a hostile server (garbage,
// oversize events, bad addresses, too many pods) changes nothing it should
// not; stop() leaves no socket or timer behind. Waits poll with a deadline.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { parseOverlayConfig, type OverlayTarget } from '../../src/daemon/overlay-config.js';
import { startOverlay } from '../../src/daemon/overlay.js';
import { PeerWatch, peerAddress, type PeerWatchOptions, type WatchLog } from '../../src/k8s/peer-watch.js';

const NS = 'fastpath';
const SELECTOR = 'app.kubernetes.io/name=fastpathd';
const PODS_PATH = `/api/v1/namespaces/${NS}/pods`;

type Pod = Record<string, unknown>;
function pod(name: string, node: string, hostIP: unknown, phase = 'Running', meta: Record<string, unknown> = {}): Pod {
  return { metadata: { name, namespace: NS, resourceVersion: '7', ...meta }, spec: { nodeName: node }, status: { phase, hostIP } };
}

/** The API server: answers lists with `items`, holds watches open for the test to write events into. */
class FakeApi {
  items: Pod[] = [];
  rv = '100';
  /** Status for the next lists/watches (undefined: 200). */
  listStatus: number | undefined;
  watchStatus: number | undefined;
  listBody: string | undefined;
  readonly lists: http.IncomingMessage[] = [];
  readonly watches: Array<{ req: http.IncomingMessage; res: http.ServerResponse }> = [];
  readonly sockets = new Set<Socket>();
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  async start(): Promise<string> {
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }

  /** Writes one event (or a raw line) to the newest watch. */
  send(ev: { type: string; object: unknown } | string): void {
    const w = this.watches.at(-1)!;
    w.res.write(typeof ev === 'string' ? ev : `${JSON.stringify(ev)}\n`);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname !== PODS_PATH) {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get('watch') === '1') {
      this.watches.push({ req, res });
      if (this.watchStatus !== undefined) {
        res.writeHead(this.watchStatus, { 'content-type': 'application/json' }).end('{"kind":"Status"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      return;
    }
    this.lists.push(req);
    if (this.listStatus !== undefined) {
      res.writeHead(this.listStatus, { 'content-type': 'application/json' }).end('{"kind":"Status","message":"no"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' })
      .end(this.listBody ?? JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: this.rv }, items: this.items }));
  }
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

class Log implements WatchLog {
  readonly lines: Array<{ level: string; msg: string; obj: object }> = [];
  info(obj: object, msg = ''): void { this.lines.push({ level: 'info', msg, obj }); }
  warn(obj: object, msg = ''): void { this.lines.push({ level: 'warn', msg, obj }); }
  error(obj: object, msg = ''): void { this.lines.push({ level: 'error', msg, obj }); }
  has(level: string, re: RegExp): boolean {
    return this.lines.some((l) => l.level === level && re.test(`${l.msg} ${JSON.stringify(l.obj)}`));
  }
}

// fastpathd passes its pino logger.
const fromPino = (l: Logger): WatchLog => l;
void fromPino;

let api: FakeApi;
let watch: PeerWatch | undefined;
afterEach(async () => {
  await watch?.stop();
  watch = undefined;
  await api?.close();
});

async function setup(over: Partial<PeerWatchOptions> = {}): Promise<{ calls: string[][]; log: Log }> {
  api = new FakeApi();
  const baseUrl = await api.start();
  const calls: string[][] = [];
  const log = new Log();
  watch = new PeerWatch({
    connection: { baseUrl, token: async () => 'sekrit' }, namespace: NS, labelSelector: SELECTOR, nodeName: 'me',
    onPeers: (p) => { calls.push(p); }, log, debounceMs: 5, backoffMs: { initial: 5, max: 40 }, ...over,
  });
  return { calls, log };
}

describe('peer watch', () => {
  it('lists, then follows ADDED/MODIFIED/DELETED; only Running pods on other nodes are peers', async () => {
    const { calls } = await setup();
    api.items = [
      pod('a', 'n1', '10.0.0.1'),
      pod('self', 'me', '10.0.0.9'), // our own node
      pod('pending', 'n3', '10.0.0.3', 'Pending'),
      pod('leaving', 'n4', '10.0.0.4', 'Running', { deletionTimestamp: '2024-01-01T00:00:00Z' }),
    ];
    watch!.start();
    await until('the first peer set', () => calls.length === 1);
    expect(calls[0]).toEqual(['10.0.0.1']);
    const w = await until('a watch', () => api.watches[0]);
    const q = new URL(w.req.url!, 'http://x').searchParams;
    expect(Object.fromEntries(q)).toMatchObject({ labelSelector: SELECTOR, watch: '1', resourceVersion: '100', allowWatchBookmarks: 'true' });
    expect(w.req.headers.authorization).toBe('Bearer sekrit');
    expect(new URL(api.lists[0]!.url!, 'http://x').searchParams.get('labelSelector')).toBe(SELECTOR);

    api.send({ type: 'ADDED', object: pod('b', 'n2', '10.0.0.2') });
    await until('b added', () => calls.length === 2);
    api.send({ type: 'MODIFIED', object: pod('pending', 'n3', '10.0.0.3') }); // now Running
    await until('pending running', () => calls.length === 3);
    api.send({ type: 'MODIFIED', object: pod('b', 'n2', '10.0.0.2', 'Failed') });
    await until('b failed', () => calls.length === 4);
    api.send({ type: 'BOOKMARK', object: { kind: 'Pod', metadata: { resourceVersion: '120' } } });
    api.send({ type: 'DELETED', object: pod('a', 'n1', '10.0.0.1') });
    await until('a deleted', () => calls.length === 5);
    api.send({ type: 'ADDED', object: pod('self2', 'me', '10.0.0.9') }); // own node again: no change
    api.send({ type: 'MODIFIED', object: pod('leaving', 'n4', '10.0.0.4', 'Running', { deletionTimestamp: 'x' }) });
    api.send({ type: 'ADDED', object: pod('c', 'n5', '10.0.0.10') });
    await until('c added', () => calls.length === 6);
    expect(calls).toEqual([
      ['10.0.0.1'], ['10.0.0.1', '10.0.0.2'], ['10.0.0.1', '10.0.0.2', '10.0.0.3'], ['10.0.0.1', '10.0.0.3'], ['10.0.0.3'],
      ['10.0.0.3', '10.0.0.10'], // numeric order, not string order
    ]);
    expect(api.lists).toHaveLength(1);
  });

  it('reports only when the set changes: a relist that finds the same pods calls nothing', async () => {
    const { calls } = await setup({ debounceMs: 0 });
    api.items = [pod('a', 'n1', '10.0.0.1'), pod('a2', 'n1', '10.0.0.1')];
    watch!.start();
    await until('a watch', () => api.watches[0]);
    api.send({ type: 'MODIFIED', object: pod('a', 'n1', '10.0.0.1', 'Running', { labels: { x: 'y' } }) });
    api.send({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version' } });
    await until('a second watch', () => api.watches[1]);
    api.send({ type: 'ADDED', object: pod('b', 'n2', '10.0.0.2') });
    await until('b added', () => calls.length >= 2);
    expect(calls).toEqual([['10.0.0.1'], ['10.0.0.1', '10.0.0.2']]);
  });

  it('lists again on 410 Gone (status or event), with what the new list says', async () => {
    const { calls, log } = await setup();
    api.items = [pod('a', 'n1', '10.0.0.1')];
    watch!.start();
    await until('a watch', () => api.watches[0]);
    api.items = [pod('b', 'n2', '10.0.0.2')];
    api.rv = '200';
    api.send({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    await until('the relisted set', () => calls.at(-1)?.[0] === '10.0.0.2');
    const w = await until('a watch from the new version', () => api.watches[1]);
    expect(new URL(w.req.url!, 'http://x').searchParams.get('resourceVersion')).toBe('200');
    // HTTP 410 on the watch request itself.
    api.watchStatus = 410;
    api.items = [pod('c', 'n3', '10.0.0.3')];
    w.res.end();
    await until('the third list', () => api.lists.length >= 3 && calls.at(-1)?.[0] === '10.0.0.3');
    expect(log.has('info', /410 Gone/)).toBe(true);
  });

  it('drops the watch and lists again on a line that is not JSON or not an event', async () => {
    const { calls, log } = await setup();
    api.items = [pod('a', 'n1', '10.0.0.1')];
    watch!.start();
    await until('a watch', () => api.watches[0]);
    api.send('{"type":"ADDED","object":{\u0000garbage\n');
    await until('a second watch', () => api.watches[1]);
    expect(log.has('warn', /not JSON/)).toBe(true);
    api.send('[1,2,3]\n');
    await until('a third watch', () => api.watches[2]);
    api.send({ type: 'SURPRISE', object: {} });
    await until('a fourth watch', () => api.watches[3]);
    expect(log.has('warn', /without type and object/)).toBe(true);
    expect(log.has('warn', /unknown type/)).toBe(true);
    // Still working afterwards.
    api.send({ type: 'ADDED', object: pod('b', 'n2', '10.0.0.2') });
    await until('b added', () => calls.at(-1)?.length === 2);
  });

  it('drops a connection whose event exceeds the line cap, even in pieces, and lists again', async () => {
    const { calls, log } = await setup({ maxLineBytes: 1024 });
    api.items = [pod('a', 'n1', '10.0.0.1')];
    watch!.start();
    const w = await until('a watch', () => api.watches[0]);
    let closed = false;
    w.res.on('close', () => { closed = true; });
    for (let i = 0; i < 3; i++) api.send('x'.repeat(400)); // no newline: one line growing past 1024
    await until('the watch dropped', () => closed);
    await until('a second watch', () => api.watches[1]);
    expect(log.has('warn', /over 1024 bytes/)).toBe(true);
    api.send(`${JSON.stringify({ type: 'ADDED', object: pod('b', 'n2', '10.0.0.2', 'Running', { note: 'y'.repeat(2000) }) })}\n`);
    await until('the third watch', () => api.watches[2]);
    expect(calls).toEqual([['10.0.0.1']]);
  });

  it('takes only unicast dotted quads from hostIP, and caps the peer set', async () => {
    const bad: unknown[] = ['10.0.0.256', '::1', 'fe80::1', '224.0.0.1', '255.255.255.255', '0.0.0.0', '127.0.0.1',
      ' 10.0.0.5', '10.0.0.5 ', '010.0.0.1', '10.0.0', 12345, null, { ip: '10.0.0.1' }, '10.0.0.1\n10.0.0.2', ''];
    for (const ip of bad) expect(peerAddress(pod('x', 'n1', ip), 'me')).toBeUndefined();
    expect(peerAddress({ metadata: {}, spec: {}, status: { phase: 'Running', hostIP: '10.0.0.1' } }, 'me')).toBeUndefined(); // no node
    expect(peerAddress('pod', 'me')).toBeUndefined();
    expect(peerAddress(pod('x', 'n1', '192.168.1.7'), 'me')).toBe('192.168.1.7');

    const { calls, log } = await setup({ maxPeers: 100 });
    api.items = [
      { metadata: { name: 'y'.repeat(300) }, spec: { nodeName: 'n' }, status: { phase: 'Running', hostIP: '10.0.0.1' } }, // name too long
      'not a pod', null,
      ...bad.map((ip, i) => pod(`bad${i}`, `b${i}`, ip)),
      // 300 pods: 200 (twice the peer cap) are tracked, the lowest 100 addresses are used.
      ...Array.from({ length: 300 }, (_, i) => pod(`p${i}`, `n${i}`, `10.1.${Math.floor(i / 200)}.${(i % 200) + 1}`)),
    ] as Pod[];
    watch!.start();
    await until('a peer set', () => calls.length === 1);
    expect(calls[0]).toHaveLength(100);
    expect(calls[0]![0]).toBe('10.1.0.1');
    expect(calls[0]!.at(-1)).toBe('10.1.0.100');
    expect(log.has('warn', /too many fastpathd pods/)).toBe(true);
    expect(log.has('warn', /more peers than the overlay takes/)).toBe(true);
  });

  it('backs off and keeps the last peers while the API fails; never throws', async () => {
    const { calls, log } = await setup();
    api.items = [pod('a', 'n1', '10.0.0.1')];
    watch!.start();
    await until('a watch', () => api.watches[0]);
    api.listStatus = 403;
    api.watches[0]!.res.end();
    await until('three failed lists', () => api.lists.length >= 4);
    expect(log.has('warn', /"status":403/)).toBe(true);
    api.listStatus = undefined;
    api.listBody = '{"kind":"PodList","items":"nope"}';
    await until('a malformed list', () => log.has('warn', /not a PodList/));
    api.listBody = '{ truncated';
    await until('a list that is not JSON', () => log.has('warn', /list: not JSON/));
    expect(calls).toEqual([['10.0.0.1']]);
    api.listBody = undefined;
    api.items = [pod('b', 'n2', '10.0.0.2')];
    await until('recovered', () => calls.length === 2);
    expect(calls[1]).toEqual(['10.0.0.2']);
  });

  it('refuses a list body over the cap', async () => {
    const { log } = await setup({ maxListBytes: 4096 });
    api.items = Array.from({ length: 100 }, (_, i) => pod(`p${i}`, `n${i}`, `10.0.0.${i + 1}`));
    watch!.start();
    await until('the refusal', () => log.has('warn', /over 4096 bytes/));
    expect(api.watches).toHaveLength(0);
  });

  it('calls onPeers again after it failed, and one call at a time', async () => {
    let failures = 2;
    let inFlight = 0;
    let maxInFlight = 0;
    const calls: string[][] = [];
    const { log } = await setup({
      retryMs: 10,
      onPeers: async (p) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        if (failures-- > 0) throw new Error('orchestrator busy');
        calls.push(p);
      },
    });
    api.items = [pod('a', 'n1', '10.0.0.1')];
    watch!.start();
    await until('the set accepted after two failures', () => calls.length === 1);
    expect(calls[0]).toEqual(['10.0.0.1']);
    expect(log.lines.filter((l) => l.level === 'error' && /orchestrator busy/.test(JSON.stringify(l.obj)))).toHaveLength(2);
    await until('a watch', () => api.watches[0]);
    for (let i = 0; i < 20; i++) api.send({ type: 'ADDED', object: pod(`b${i}`, `m${i}`, `10.0.1.${i + 1}`) });
    await until('the full set accepted', () => calls.at(-1)?.length === 21);
    expect(maxInFlight).toBe(1);
  });

  it('stop() ends the watch, its sockets and timers, and calls onPeers no more', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    // A long debounce: its timer is pending when stop() is called.
    const { calls } = await setup({ debounceMs: 60_000 });
    api.items = [pod('a', 'n1', '10.0.0.1')];
    watch!.start();
    await until('a watch', () => api.watches[0]);
    api.send({ type: 'ADDED', object: pod('b', 'n2', '10.0.0.2') });
    await until('the event handled', () => watch!.events === 1);
    expect(api.sockets.size).toBeGreaterThan(0);
    expect(timers()).toBeGreaterThan(before);
    await watch!.stop();
    await until('the server sees every connection closed', () => api.sockets.size === 0);
    expect(timers()).toBe(before);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap')).toEqual([]);
    await watch!.stop(); // twice is fine
    expect(calls).toEqual([]);
    expect(api.lists).toHaveLength(1);
  });

  it('stop() during a backoff returns at once', async () => {
    await setup({ backoffMs: { initial: 60_000, max: 60_000 } });
    api.listStatus = 500;
    watch!.start();
    await until('a failed list', () => api.lists.length === 1);
    await until('the response consumed', () => api.sockets.size === 0);
    const t0 = Date.now();
    await watch!.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('startOverlay (what fastpathd runs)', () => {
  const cfg = (): ReturnType<typeof parseOverlayConfig> => parseOverlayConfig({
    uplink: { iface: 'eth1', driver: 'af_packet', address: '${NODE_IP}/24' },
    networks: { default: { vni: 100 }, gone: { vni: 101 } },
    peers: { kubernetes: { namespace: NS, nodeName: '${NODE_NAME}' } },
  }, { NODE_IP: '10.1.0.5', NODE_NAME: 'me' });
  const target = (): OverlayTarget & { calls: unknown[][] } => {
    const calls: unknown[][] = [];
    return {
      calls,
      addUplink: async (r) => { calls.push(['addUplink', r.name]); },
      setNetworkOverlay: async (n) => { calls.push(['setNetworkOverlay', n]); if (n === 'gone') throw new Error('no network named gone'); },
      setOverlayPeers: async (n, p) => { calls.push(['setOverlayPeers', n, p]); },
    };
  };

  it('feeds the other nodes to every network it could set, never our own address', async () => {
    api = new FakeApi();
    const baseUrl = await api.start();
    // Another node claims our address, another is off our subnet (no gateway), another is its broadcast address.
    api.items = [pod('a', 'n1', '10.1.0.6'), pod('self', 'me', '10.1.0.5'), pod('liar', 'n2', '10.1.0.5'),
      pod('far', 'n3', '10.2.0.7'), pod('bcast', 'n4', '10.1.0.255')];
    const t = target();
    const log = new Log();
    const h = await startOverlay(t, cfg()!, log, { connection: { baseUrl } });
    try {
      expect(h.networks).toEqual(['default']);
      await until('the peers set', () => t.calls.some((c) => c[0] === 'setOverlayPeers'));
      expect(t.calls).toEqual([['addUplink', 'eth1'], ['setNetworkOverlay', 'default'], ['setNetworkOverlay', 'gone'], ['setOverlayPeers', 'default', ['10.1.0.6']]]);
      expect(log.has('warn', /10.2.0.7 is off 10.1.0.5\/24 and there is no gateway/)).toBe(true);
      expect(log.has('warn', /10.1.0.5 is this node's own endpoint/)).toBe(true);
    } finally {
      await h.stop();
    }
    await until('no connection left', () => api.sockets.size === 0);
  });

  it('outside a pod, refuses Kubernetes peers before touching anything', async () => {
    api = new FakeApi();
    const t = target();
    await expect(startOverlay(t, cfg()!, new Log(), { env: {} })).rejects.toThrow(/not in a Kubernetes pod/);
    expect(t.calls).toEqual([]);
  });
});
