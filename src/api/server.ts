// SPDX-License-Identifier: Apache-2.0
// The gRPC server: fastpath.v1 services plus grpc.health.v1, on a unix
// socket (and optionally TCP on loopback).
import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

import type { Dataplane } from '../dataplane/index.js';
import type { HugepageManager } from '../core/hugepages/manager.js';
import type { FlowManager } from '../core/flows/flow-manager.js';
import type { Orchestrator } from '../core/orchestrator.js';
import type { OverlayManager } from '../core/uplinks/overlay-manager.js';
import { hugepageService } from './hugepage-service.js';
import { Adapter, type AdapterLogger } from './adapter.js';
import { metricsInterceptor, type CallObserver } from './call-metrics.js';
import { flowService } from './flow-service.js';
import { networkService } from './network-service.js';
import { overlayService } from './overlay-service.js';
import { portService } from './port-service.js';
import { loadFastpathProto } from './proto.js';
import { LcoreSampler, systemService, type SystemFacts } from './system-service.js';

export const SERVICE_NAMES = ['fastpath.v1.NetworkService', 'fastpath.v1.PortService', 'fastpath.v1.SystemService', 'fastpath.v1.HugepageService', 'fastpath.v1.FlowService', 'fastpath.v1.OverlayService'];

export interface ApiServerOptions {
  unixSocket: string;
  socketMode: number;
  tcp?: string; // host:port, loopback only
}

export class ApiServer {
  readonly server: grpc.Server;
  readonly health = new HealthImplementation({ '': 'NOT_SERVING' });
  private readonly sampler: LcoreSampler;
  private readonly adapter: Adapter;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    dp: Dataplane, orch: Orchestrator, hp: HugepageManager, flows: FlowManager, overlay: OverlayManager, facts: SystemFacts, log: AdapterLogger,
    observe?: CallObserver, streamBacklog?: number,
  ) {
    const proto = loadFastpathProto();
    this.server = new grpc.Server({ interceptors: observe ? [metricsInterceptor(observe)] : [] });
    const a = new Adapter(log, streamBacklog);
    this.adapter = a;
    this.sampler = new LcoreSampler(dp);
    this.server.addService(proto.fastpath.v1.NetworkService.service, networkService(orch, a));
    this.server.addService(proto.fastpath.v1.PortService.service, portService(orch, a));
    this.server.addService(proto.fastpath.v1.SystemService.service, systemService(dp, this.sampler, facts, a));
    this.server.addService(proto.fastpath.v1.HugepageService.service, hugepageService(hp, a));
    this.server.addService(proto.fastpath.v1.FlowService.service, flowService(flows, a));
    this.server.addService(proto.fastpath.v1.OverlayService.service, overlayService(overlay, a));
    this.health.addToServer(this.server);
  }

  async listen(o: ApiServerOptions): Promise<string[]> {
    const bound: string[] = [];
    await mkdir(dirname(o.unixSocket), { recursive: true, mode: 0o755 });
    await rm(o.unixSocket, { force: true }); // stale from a crash; we own this path
    await this.bind(`unix://${o.unixSocket}`);
    await chmod(o.unixSocket, o.socketMode);
    bound.push(`unix://${o.unixSocket}`);
    if (o.tcp) {
      const host = o.tcp.slice(0, o.tcp.lastIndexOf(':'));
      if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) {
        throw new Error(`gRPC TCP listener must be on loopback, got ${o.tcp}`);
      }
      const port = await this.bind(o.tcp);
      bound.push(`${host}:${port}`);
    }
    this.timer = setInterval(() => { void this.sampler.sample().catch(() => undefined); }, 1000);
    this.timer.unref();
    void this.sampler.sample().catch(() => undefined);
    return bound;
  }

  setServing(serving: boolean): void {
    const st = serving ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', st);
    for (const s of SERVICE_NAMES) this.health.setStatus(s, st);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.setServing(false);
    this.adapter.endStreams();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { this.server.forceShutdown(); resolve(); }, 3000);
      this.server.tryShutdown(() => { clearTimeout(t); resolve(); });
    });
  }

  private bind(addr: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
    });
  }
}
