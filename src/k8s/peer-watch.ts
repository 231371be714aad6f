// SPDX-License-Identifier: Apache-2.0
// The overlay's peers under Kubernetes (issue 18): the other nodes running
// fastpath are exactly the Running fastpathd pods of our own DaemonSet, so
// we list and watch those pods in our own namespace (a namespaced Role:
// get/list/watch pods; no cluster-wide read of Node objects) and take each
// one's status.hostIP, skipping our own node.
//
// The loop is the informer pattern cut down: list (whole state, a
// resourceVersion), watch from there; whatever ends the watch (the
// server's timeout, 410 Gone, an error, a line we cannot trust) leads to a
// fresh list after a backoff (1 s doubling to 30 s, with jitter so that a
// restarted API server is not hit by every node at once). A list replaces
// the state whole, so nothing missed while disconnected survives it. Stale
// peers are kept while the API is unreachable: tunnels to nodes we knew are
// better than none.
//
// Everything from the API is untrusted: hostIPs must be unicast dotted
// quads, the peer set and the number of pods tracked are capped, a watch
// line may not exceed maxLineBytes (the connection is dropped and we list
// again), and no failure escapes to crash the daemon.
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { ipv4ToInt, isUnicastIPv4 } from '../core/uplinks/ipv4.js';
import { excerpt, kubeGet, KubeHttpError, makeAgent, readBody, type KubeConnection } from './kube-client.js';

/** pino's Logger fits. */
export interface WatchLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface PeerWatchOptions {
  connection: KubeConnection;
  namespace: string;
  labelSelector: string;
  /** Our own node (spec.nodeName): its pods are not peers. */
  nodeName: string;
  /** Called with the sorted, unique peer addresses when the set changes (first: after the first list). */
  onPeers: (peers: string[]) => Promise<void> | void;
  log: WatchLog;
  /** A further test of a pod's address (default: any unicast IPv4 address): one it refuses is not a peer. */
  accept?: (ip: string) => boolean;
  /** A burst of pod events (a rollout) is one call (default 500 ms). */
  debounceMs?: number;
  backoffMs?: { initial: number; max: number };
  /** An onPeers that failed is called again after this long (default 5 s). */
  retryMs?: number;
  maxPeers?: number;
  maxLineBytes?: number;
  maxListBytes?: number;
  /** Asked of the server; it ends the watch then, and we list again (default 300 s). */
  watchTimeoutSeconds?: number;
  /** A list, or a watch beyond its timeout, that sends nothing for this long is dropped (default 30 s). */
  idleMs?: number;
}

const DEFAULTS = {
  debounceMs: 500, backoffMs: { initial: 1000, max: 30_000 }, retryMs: 5000, maxPeers: 1024,
  maxLineBytes: 1 << 20, maxListBytes: 32 << 20, watchTimeoutSeconds: 300, idleMs: 30_000,
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a watch ended: 'gone' (410), 'ended' (the server closed it) or what went wrong. */
type WatchEnd = { reason: string; clean: boolean };

export class PeerWatch {
  private readonly o: PeerWatchOptions & typeof DEFAULTS;
  /** Pod name -> hostIP, for the pods that are peers. */
  private pods = new Map<string, string>();
  private readonly abort = new AbortController();
  private readonly agent: http.Agent;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delivering: Promise<void> | undefined;
  private redeliver = false;
  /** The set onPeers last accepted, joined; undefined before the first. */
  private reported: string | undefined;
  private warnedCap = false;
  /** Watch events handled since start: for tests and debugging. */
  events = 0;

  constructor(opts: PeerWatchOptions) {
    this.o = { ...DEFAULTS, ...opts };
    this.agent = makeAgent(opts.connection);
  }

  start(): void {
    if (this.loop || this.abort.signal.aborted) return;
    this.loop = this.run().catch((e: unknown) => {
      // Not expected (run() catches per cycle); logged, never thrown at the daemon.
      this.o.log.error({ component: 'peer-watch', err: (e as Error).message }, 'peer watch stopped on an unexpected error');
    });
  }

  /** Ends the watch: no request, socket or timer is left, and onPeers is not called again. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.agent.destroy();
    await this.loop;
    await this.delivering;
  }

  /** The current peer set (sorted, unique, capped). */
  peers(): string[] {
    const ips = [...new Set(this.pods.values())].sort((a, b) => ipv4ToInt(a) - ipv4ToInt(b));
    return ips.slice(0, this.o.maxPeers);
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private path(query: string): string {
    const q = `labelSelector=${encodeURIComponent(this.o.labelSelector)}${query}`;
    return `/api/v1/namespaces/${encodeURIComponent(this.o.namespace)}/pods?${q}`;
  }

  private async run(): Promise<void> {
    const { initial, max } = this.o.backoffMs;
    let delay = initial;
    while (!this.stopped) {
      let healthy = false;
      try {
        const rv = await this.list();
        const since = Date.now();
        const end = await this.watch(rv);
        // A watch that stayed up a while was a good cycle: the next list is soon.
        healthy = Date.now() - since >= max;
        if (!this.stopped) {
          const log = end.clean ? this.o.log.info.bind(this.o.log) : this.o.log.warn.bind(this.o.log);
          log({ component: 'peer-watch', reason: end.reason }, 'pod watch ended; listing again');
        }
      } catch (e) {
        if (this.stopped) break;
        const status = e instanceof KubeHttpError ? e.status : undefined;
        this.o.log.warn({ component: 'peer-watch', status, err: (e as Error).message, retryMs: delay }, 'cannot list fastpathd pods; trying again');
      }
      if (this.stopped) break;
      if (healthy) delay = initial;
      const jittered = Math.round(delay * (0.8 + 0.4 * Math.random()));
      await sleep(jittered, undefined, { signal: this.abort.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, max);
    }
  }

  /** The whole state, replacing ours; the resourceVersion to watch from. */
  private async list(): Promise<string> {
    const res = await kubeGet(this.o.connection, this.agent, this.path(''), this.o.idleMs, this.abort.signal);
    if (res.statusCode !== 200) {
      const body = await readBody(res, 64 << 10).catch(() => '');
      throw new KubeHttpError(res.statusCode ?? 0, `list: HTTP ${res.statusCode}: ${excerpt(body)}`);
    }
    const body = await readBody(res, this.o.maxListBytes);
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      throw new Error(`list: not JSON: ${excerpt(JSON.stringify(body))}`);
    }
    const rv = isObj(doc) && isObj(doc.metadata) ? doc.metadata.resourceVersion : undefined;
    if (!isObj(doc) || !Array.isArray(doc.items) || typeof rv !== 'string' || rv === '' || rv.length > 64) {
      throw new Error('list: not a PodList with items and a resourceVersion');
    }
    const pods = new Map<string, string>();
    this.warnedCap = false;
    for (const p of doc.items) this.upsert(pods, p);
    this.pods = pods;
    this.o.log.info({ component: 'peer-watch', pods: doc.items.length, peers: this.pods.size }, 'listed fastpathd pods');
    this.changed();
    return rv;
  }

  private async watch(rv: string): Promise<WatchEnd> {
    const q = `&watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(rv)}&timeoutSeconds=${this.o.watchTimeoutSeconds}`;
    const res = await kubeGet(this.o.connection, this.agent, this.path(q), this.o.watchTimeoutSeconds * 1000 + this.o.idleMs, this.abort.signal);
    if (res.statusCode === 410) {
      res.destroy();
      return { reason: 'resourceVersion too old (410 Gone)', clean: true };
    }
    if (res.statusCode !== 200) {
      const body = await readBody(res, 64 << 10).catch(() => '');
      throw new KubeHttpError(res.statusCode ?? 0, `watch: HTTP ${res.statusCode}: ${excerpt(body)}`);
    }
    return new Promise<WatchEnd>((resolve) => {
      let done = false;
      let parts: Buffer[] = [];
      let len = 0;
      const finish = (reason: string, clean: boolean): void => {
        if (done) return;
        done = true;
        res.destroy();
        resolve({ reason, clean });
      };
      res.on('data', (chunk: Buffer) => {
        let start = 0;
        while (!done) {
          const nl = chunk.indexOf(0x0a, start);
          const piece = chunk.subarray(start, nl < 0 ? chunk.length : nl);
          if (len + piece.length > this.o.maxLineBytes) {
            finish(`a watch event over ${this.o.maxLineBytes} bytes`, false);
            return;
          }
          if (nl < 0) {
            parts.push(piece);
            len += piece.length;
            return;
          }
          const line = (parts.length === 0 ? piece : Buffer.concat([...parts, piece])).toString('utf8');
          parts = [];
          len = 0;
          start = nl + 1;
          const bad = line.trim() === '' ? undefined : this.onEvent(line);
          if (bad !== undefined) finish(bad, bad === 'resourceVersion too old (410 Gone)');
        }
      });
      res.on('end', () => finish(len > 0 ? 'the stream ended inside an event' : 'the server ended the watch', len === 0));
      res.on('error', (e) => finish(`connection error: ${e.message}`, false));
      res.on('close', () => finish('connection closed', false));
    });
  }

  /** One watch event; undefined when handled, else why the watch must end. */
  private onEvent(line: string): string | undefined {
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch {
      return `a watch line that is not JSON: ${excerpt(JSON.stringify(line), 100)}`;
    }
    if (!isObj(ev) || typeof ev.type !== 'string' || !isObj(ev.object)) return 'a watch event without type and object';
    this.events++;
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.upsert(this.pods, ev.object);
        break;
      case 'DELETED': {
        const name = podName(ev.object);
        if (name !== undefined) this.pods.delete(name);
        break;
      }
      case 'BOOKMARK':
        // Keeps the connection alive through proxies; we list again anyway.
        return undefined;
      case 'ERROR':
        return ev.object.code === 410 ? 'resourceVersion too old (410 Gone)' : `an ERROR event: ${excerpt(String(ev.object.message ?? ''), 100)}`;
      default:
        return `a watch event of unknown type ${excerpt(JSON.stringify(ev.type), 40)}`;
    }
    this.changed();
    return undefined;
  }

  /** Records the pod when it is a peer, forgets it otherwise. */
  private upsert(pods: Map<string, string>, pod: unknown): void {
    const name = podName(pod);
    if (name === undefined) return;
    const ip = peerAddress(pod, this.o.nodeName);
    if (ip === undefined || (this.o.accept !== undefined && !this.o.accept(ip))) {
      pods.delete(name);
      return;
    }
    // A DaemonSet has a pod per node (two during a rollout); more is not a cluster we serve.
    if (!pods.has(name) && pods.size >= 2 * this.o.maxPeers) {
      if (!this.warnedCap) this.o.log.warn({ component: 'peer-watch', max: 2 * this.o.maxPeers }, 'too many fastpathd pods; ignoring the rest');
      this.warnedCap = true;
      return;
    }
    pods.set(name, ip);
  }

  /** Something changed: report the set once the burst is over. */
  private changed(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.deliver(), this.o.debounceMs);
  }

  private deliver(): void {
    this.timer = undefined;
    if (this.stopped) return;
    if (this.delivering) {
      this.redeliver = true; // after the call in flight, with what is current then
      return;
    }
    const peers = this.peers();
    const key = peers.join(',');
    if (key === this.reported) return;
    if (new Set(this.pods.values()).size > this.o.maxPeers) {
      this.o.log.warn({ component: 'peer-watch', max: this.o.maxPeers }, 'more peers than the overlay takes; using the lowest addresses');
    }
    this.delivering = (async () => {
      try {
        await this.o.onPeers(peers);
        this.reported = key;
        this.o.log.info({ component: 'peer-watch', peers: peers.length }, 'overlay peers updated');
      } catch (e) {
        this.o.log.error({ component: 'peer-watch', err: (e as Error).message, retryMs: this.o.retryMs }, 'cannot set the overlay peers; trying again');
        if (!this.stopped) {
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.deliver(), this.o.retryMs);
        }
      } finally {
        this.delivering = undefined;
        if (this.redeliver && !this.stopped) {
          this.redeliver = false;
          this.changed();
        }
      }
    })();
  }
}

function podName(pod: unknown): string | undefined {
  const name = isObj(pod) && isObj(pod.metadata) ? pod.metadata.name : undefined;
  return typeof name === 'string' && name.length > 0 && name.length <= 253 ? name : undefined;
}

/** The pod's hostIP when it is a peer: Running, not terminating, not on our node, a unicast IPv4 address. */
export function peerAddress(pod: unknown, ownNode: string): string | undefined {
  if (!isObj(pod) || !isObj(pod.metadata) || !isObj(pod.spec) || !isObj(pod.status)) return undefined;
  // A terminating pod is leaving: its node stops forwarding soon.
  if (pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) return undefined;
  if (pod.status.phase !== 'Running') return undefined;
  if (typeof pod.spec.nodeName !== 'string' || pod.spec.nodeName === '' || pod.spec.nodeName === ownNode) return undefined;
  return isUnicastIPv4(pod.status.hostIP) ? pod.status.hostIP : undefined;
}
