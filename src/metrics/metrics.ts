// SPDX-License-Identifier: Apache-2.0
// Prometheus metrics (prom-client): data plane counters are read from the
// data plane at scrape time (as doubles, which is all Prometheus keeps); gRPC
// calls are counted as they finish.
import { createServer, type Server } from 'node:http';

import type { status } from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import type { Dataplane } from '../dataplane/index.js';

export class Metrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'method' | 'code'>;
  private readonly latency: Histogram<'method'>;
  private server: Server | undefined;

  constructor(dp: Dataplane) {
    const r = this.registry;
    // prom-client runs every collector of a scrape at once: they share one
    // native stats read instead of making one each.
    let pending: ReturnType<Dataplane['stats']> | undefined;
    const stats = (): ReturnType<Dataplane['stats']> =>
      (pending ??= dp.stats().finally(() => { pending = undefined; }));
    collectDefaultMetrics({ register: r, prefix: 'fastpathd_' });
    const portLabels = ['port', 'network'] as const;
    const traffic = (name: string, help: string, pick: (p: Awaited<ReturnType<Dataplane['stats']>>['ports'][number]) => bigint) =>
      new Counter({
        name, help, labelNames: portLabels, registers: [r],
        async collect() {
          const s = await stats();
          this.reset();
          for (const p of s.ports) this.inc({ port: p.name, network: p.network }, Number(pick(p)));
        },
      });
    traffic('fastpath_port_rx_packets_total', 'Frames received from the guest', (p) => p.rxPackets);
    traffic('fastpath_port_rx_bytes_total', 'Bytes received from the guest', (p) => p.rxBytes);
    traffic('fastpath_port_tx_packets_total', 'Frames delivered to the guest', (p) => p.txPackets);
    traffic('fastpath_port_tx_bytes_total', 'Bytes delivered to the guest', (p) => p.txBytes);
    new Counter({
      name: 'fastpath_port_drops_total', help: 'Frames dropped, by port and reason', labelNames: ['port', 'network', 'reason'], registers: [r],
      async collect() {
        const s = await stats();
        this.reset();
        for (const p of s.ports) {
          for (const [reason, n] of Object.entries(p.drops)) this.inc({ port: p.name, network: p.network, reason }, Number(n));
        }
      },
    });
    new Gauge({
      name: 'fastpath_port_link_up', help: '1 while a guest is attached to the port', labelNames: portLabels, registers: [r],
      async collect() {
        const s = await stats();
        this.reset();
        for (const p of s.ports) this.set({ port: p.name, network: p.network }, p.linkUp ? 1 : 0);
      },
    });
    new Gauge({
      name: 'fastpath_lcore_busy_ratio', help: 'Share of a worker lcore\'s cycles spent on packets, since start', labelNames: ['lcore'], registers: [r],
      async collect() {
        const s = await stats();
        for (const w of s.workers) this.set({ lcore: String(w.lcore) }, w.busyPercent / 100);
      },
    });
    new Gauge({
      name: 'fastpath_lcore_cycles_per_packet', help: 'Busy cycles per packet of a worker lcore, since start', labelNames: ['lcore'], registers: [r],
      async collect() {
        const s = await stats();
        for (const w of s.workers) this.set({ lcore: String(w.lcore) }, w.cyclesPerPacket);
      },
    });
    new Gauge({
      name: 'fastpath_mbufs_in_use', help: 'mbufs taken from the data plane pool', registers: [r],
      async collect() {
        this.set((await stats()).mbufs.inUse);
      },
    });
    this.calls = new Counter({ name: 'fastpath_grpc_requests_total', help: 'gRPC calls by method and status code', labelNames: ['method', 'code'], registers: [r] });
    this.latency = new Histogram({
      name: 'fastpath_grpc_request_duration_seconds', help: 'gRPC call latency', labelNames: ['method'], registers: [r],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    });
  }

  observeCall(method: string, code: status, seconds: number): void {
    this.calls.inc({ method, code: String(code) });
    this.latency.observe({ method }, seconds);
  }

  /** Serves /metrics on host:port; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('see /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (e: unknown) => res.writeHead(500).end(`${(e as Error).message}\n`),
      );
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => {
        const a = this.server!.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
