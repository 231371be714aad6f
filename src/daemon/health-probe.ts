// SPDX-License-Identifier: Apache-2.0
// Kubernetes liveness/readiness probe: asks fastpathd's grpc.health.v1
// service over its unix socket (kubelet's own grpc probe speaks TCP only,
// and the API is not served on the node's network). Exit 0 when SERVING.
//   node .dist/daemon/health-probe.js [endpoint] [service]
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const endpoint = process.argv[2] ?? process.env.FASTPATH_ENDPOINT ?? 'unix:///run/fastpath/fastpath.sock';
const name = process.argv[3] ?? '';

type HealthClient = grpc.Client & {
  check(req: object, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: { status: string }) => void): void;
};
const Health = grpc.makeClientConstructor(healthService, 'grpc.health.v1.Health');
const h = new Health(endpoint, grpc.credentials.createInsecure()) as unknown as HealthClient;
h.check({ service: name }, new grpc.Metadata(), { deadline: Date.now() + 5_000 }, (err, res) => {
  h.close();
  const status = err ? `${grpc.status[err.code]}: ${err.details}` : res?.status ?? 'no answer';
  process.stdout.write(`${endpoint} ${name || '(server)'}: ${status}\n`);
  process.exitCode = !err && res?.status === 'SERVING' ? 0 : 1;
});
