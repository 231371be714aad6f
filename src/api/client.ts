// SPDX-License-Identifier: Apache-2.0
// A promise-based client for fastpathd, used by fpctl and the tests.
import * as grpc from '@grpc/grpc-js';

import type { FlowServiceClient } from './gen/fastpath/v1/FlowService.js';
import type { HugepageServiceClient } from './gen/fastpath/v1/HugepageService.js';
import type { NetworkServiceClient } from './gen/fastpath/v1/NetworkService.js';
import type { OverlayServiceClient } from './gen/fastpath/v1/OverlayService.js';
import type { PortServiceClient } from './gen/fastpath/v1/PortService.js';
import type { SystemServiceClient } from './gen/fastpath/v1/SystemService.js';
import { loadFastpathProto } from './proto.js';

export const DEFAULT_ENDPOINT = 'unix:///run/fastpath/fastpath.sock';

type Unary<Req, Res> = (req: Req, cb: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;

/** Promisify one unary method of a generated client. */
function call<Req, Res>(client: grpc.Client, fn: Unary<Req, Res>, req: Req, deadlineMs: number): Promise<Res> {
  return new Promise((resolve, reject) => {
    const bound = fn.bind(client) as unknown as (
      r: Req, md: grpc.Metadata, o: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;
    bound(req, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res as Res)));
  });
}

export class FastpathClient {
  readonly networks: NetworkServiceClient;
  readonly ports: PortServiceClient;
  readonly system: SystemServiceClient;
  readonly hugepages: HugepageServiceClient;
  readonly flows: FlowServiceClient;
  readonly overlays: OverlayServiceClient;
  private readonly deadlineMs: number;

  private readonly channel: grpc.Channel;

  constructor(endpoint = DEFAULT_ENDPOINT, deadlineMs = 30_000) {
    const proto = loadFastpathProto();
    const creds = grpc.credentials.createInsecure();
    // One channel (one connection, one resolver) for every service: a
    // short-lived process (fpctl, the CNI plugin) sets up one, not six.
    this.channel = new grpc.Channel(endpoint, creds, {});
    const opts = { channelOverride: this.channel };
    this.networks = new proto.fastpath.v1.NetworkService(endpoint, creds, opts);
    this.ports = new proto.fastpath.v1.PortService(endpoint, creds, opts);
    this.system = new proto.fastpath.v1.SystemService(endpoint, creds, opts);
    this.hugepages = new proto.fastpath.v1.HugepageService(endpoint, creds, opts);
    this.flows = new proto.fastpath.v1.FlowService(endpoint, creds, opts);
    this.overlays = new proto.fastpath.v1.OverlayService(endpoint, creds, opts);
    this.deadlineMs = deadlineMs;
  }

  /** Any method of any service, e.g. c.unary(c.ports, c.ports.CreatePort, {...}). */
  unary<C extends grpc.Client, Req, Res>(client: C, fn: Unary<Req, Res>, req: Req): Promise<Res> {
    return call(client, fn, req, this.deadlineMs);
  }

  close(): void {
    this.channel.close();
  }
}
