// SPDX-License-Identifier: Apache-2.0
// Loads proto/fastpath/v1 with protobufjs (through @grpc/proto-loader) using
// the same options the committed TypeScript types were generated with.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ProtoGrpcType as FlowProto } from './gen/flow.js';
import type { ProtoGrpcType as HugepagesProto } from './gen/hugepages.js';
import type { ProtoGrpcType as NetworkProto } from './gen/network.js';
import type { ProtoGrpcType as PortProto } from './gen/port.js';
import type { ProtoGrpcType as SystemProto } from './gen/system.js';

export const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');
export const PROTO_FILES = ['fastpath/v1/network.proto', 'fastpath/v1/port.proto', 'fastpath/v1/system.proto', 'fastpath/v1/hugepages.proto', 'fastpath/v1/flow.proto'];

export type FastpathProto = NetworkProto & PortProto & SystemProto & HugepagesProto & FlowProto;

let cached: FastpathProto | undefined;

export function loadFastpathProto(): FastpathProto {
  if (!cached) {
    const def = protoLoader.loadSync(PROTO_FILES, {
      includeDirs: [PROTO_DIR],
      longs: Number,
      enums: String,
      defaults: true,
      // No virtual oneof fields: proto3 `optional` would add `_uid` etc.
      oneofs: false,
    });
    cached = grpc.loadPackageDefinition(def) as unknown as FastpathProto;
  }
  return cached;
}
