// SPDX-License-Identifier: Apache-2.0
// proto/fastpath/v1 as grpc-js service definitions, made with protobufjs
// from the JSON descriptor proto/gen.sh writes next to the generated types
// (gen/descriptor.json), with the options those types were generated with
// (64-bit integers as decimal strings, as the proto3 JSON mapping has them,
// so a counter past 2^53 stays exact; enums as strings, defaults filled, no
// virtual oneof fields). This is what @grpc/proto-loader does, without its cost at every
// start: parsing .proto files and building descriptor protos took a
// short-lived process (fastpath-cni, fpctl) about 100 ms. protobufjs comes
// as its prebuilt "light" bundle: one file, no .proto parser.
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Protobuf from 'protobufjs/light.js';

import type { ProtoGrpcType as FlowProto } from './gen/flow.js';
import type { ProtoGrpcType as HugepagesProto } from './gen/hugepages.js';
import type { ProtoGrpcType as NetworkProto } from './gen/network.js';
import type { ProtoGrpcType as OverlayProto } from './gen/overlay.js';
import type { ProtoGrpcType as PortProto } from './gen/port.js';
import type { ProtoGrpcType as SystemProto } from './gen/system.js';

// From the tree's root (src/, .dist/), not this file: fastpathd's bundle
// (.dist/fastpathd/) runs this module from another directory of the tree.
export const DESCRIPTOR = join(dirname(fileURLToPath(import.meta.url)), '..', 'api', 'gen', 'descriptor.json');

export type FastpathProto = NetworkProto & PortProto & SystemProto & HugepagesProto & FlowProto & OverlayProto;

const TO_OBJECT: Protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: false };

/** proto-loader names a method's lower-case alias this way. */
const camel = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

function codec(t: Protobuf.Type): { serialize: (o: object) => Buffer; deserialize: (b: Buffer) => object } {
  return {
    serialize: (o) => Buffer.from(t.encode(t.fromObject(o)).finish()),
    deserialize: (b) => t.toObject(t.decode(b), TO_OBJECT),
  };
}

function serviceDefinition(svc: Protobuf.Service): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<object, object>> = {};
  const name = svc.fullName.replace(/^\./, '');
  for (const m of svc.methodsArray) {
    m.resolve();
    const req = codec(m.resolvedRequestType!);
    const res = codec(m.resolvedResponseType!);
    def[m.name] = {
      path: `/${name}/${m.name}`,
      requestStream: m.requestStream === true,
      responseStream: m.responseStream === true,
      requestSerialize: req.serialize,
      requestDeserialize: req.deserialize,
      responseSerialize: res.serialize,
      responseDeserialize: res.deserialize,
      originalName: camel(m.name),
    };
  }
  return def;
}

let cached: FastpathProto | undefined;
let root: Protobuf.Root | undefined;

/** The light bundle cannot find the long package by itself; without it
 * protobufjs reads and writes 64-bit integers through doubles (a string
 * past 2^53 is rounded, and past 2^64 becomes garbage). */
const protobufLight = (): typeof Protobuf => {
  const req = createRequire(import.meta.url);
  const pb = req('protobufjs/dist/light/protobuf.min.js') as typeof Protobuf;
  if (!pb.util.Long) {
    pb.util.Long = req('long') as typeof pb.util.Long;
    pb.configure();
  }
  return pb;
};

/** Every message of the descriptor (fastpath.v1 and google.rpc). */
export function protoRoot(): Protobuf.Root {
  root ??= protobufLight().Root.fromJSON(JSON.parse(readFileSync(DESCRIPTOR, 'utf8')) as Protobuf.INamespace);
  return root;
}

export function loadFastpathProto(): FastpathProto {
  if (!cached) {
    const protobuf = protobufLight();
    const root = protoRoot();
    const pkg = root.lookup('fastpath.v1') as Protobuf.Namespace;
    const def: Record<string, grpc.ServiceDefinition> = {};
    for (const o of pkg.nestedArray) {
      if (o instanceof protobuf.Service) def[o.fullName.replace(/^\./, '')] = serviceDefinition(o);
    }
    cached = grpc.loadPackageDefinition(def) as unknown as FastpathProto;
  }
  return cached;
}
