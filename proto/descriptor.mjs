// SPDX-License-Identifier: Apache-2.0
// Writes proto/fastpath/v1 as a protobufjs JSON descriptor (stdout), the
// form src/api/proto.ts loads: no .proto parsing at run time, which every
// short-lived process (fastpath-cni, fpctl) would otherwise pay for.
// Run by proto/gen.sh; test/unit/proto-descriptor.test.ts checks it is current.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROTO_FILES = ['fastpath/v1/network.proto', 'fastpath/v1/port.proto', 'fastpath/v1/system.proto', 'fastpath/v1/hugepages.proto', 'fastpath/v1/flow.proto', 'fastpath/v1/overlay.proto', 'google/rpc/status.proto'];
const here = dirname(fileURLToPath(import.meta.url));

/** The descriptor as protobufjs (with its .proto parser) reads the files. */
export function descriptor() {
  const protobuf = createRequire(import.meta.url)('protobufjs');
  const root = new protobuf.Root();
  // google/protobuf/* come with protobufjs.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(here, target));
  root.loadSync(PROTO_FILES, { keepCase: false });
  return root.toJSON();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`${JSON.stringify(descriptor(), null, 1)}\n`);
