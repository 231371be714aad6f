// SPDX-License-Identifier: Apache-2.0
// deploy/kubernetes validated offline: every object against the Kubernetes
// OpenAPI schemas (kubernetes-models, pinned in package-lock.json) or, for
// the NPWG NetworkAttachmentDefinition, the CRD's schema pinned in
// deploy/kubernetes/schemas; then what the objects say to each other (the
// CNI config the plugin accepts, volumes the plugin expects, files the
// DaemonSet runs).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { Ajv } from 'ajv';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

import { authorize, parseConf } from '../../src/cni/config.js';
import { parsePolicy } from '../../src/cni/policy.js';

const DIR = join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes');
const ROOT = join(DIR, '..', '..');

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
interface Validates { validate(): void }
const MODELS: Record<string, new (o: never) => Validates> = {
  'v1/Namespace': Namespace, 'v1/ConfigMap': ConfigMap, 'v1/Pod': Pod, 'v1/ServiceAccount': ServiceAccount,
  'apps/v1/DaemonSet': DaemonSet,
  'rbac.authorization.k8s.io/v1/Role': Role, 'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};
const nadSchema = new Ajv({ allErrors: true, strict: false }).compile(
  JSON.parse(readFileSync(join(DIR, 'schemas', 'network-attachment-definition-v1.json'), 'utf8')) as object);

function validate(o: Obj): void {
  const key = `${o.apiVersion}/${o.kind}`;
  if (key === 'k8s.cni.cncf.io/v1/NetworkAttachmentDefinition') {
    if (!nadSchema(o as unknown)) throw new Error(`${o.metadata.name}: ${JSON.stringify(nadSchema.errors)}`);
    return;
  }
  const M = MODELS[key];
  if (!M) throw new Error(`no schema for ${key}`);
  new M(o as never).validate();
}

const objects: Obj[] = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort().flatMap((f) =>
  parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${f}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Obj;
  }).filter(Boolean));
const find = (kind: string): Obj => objects.find((o) => o.kind === kind)!;

describe('deploy/kubernetes', () => {
  it('holds every object the issue asks for', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap', 'DaemonSet', 'Namespace', 'NetworkAttachmentDefinition', 'Pod', 'Role', 'RoleBinding', 'ServiceAccount',
    ]);
  });

  it.each(objects.map((o) => [`${o.kind} ${o.metadata.name}`, o] as const))('%s validates against its schema', (_n, o) => {
    expect(() => validate(o)).not.toThrow();
  });

  it('rejects what the schemas forbid (the check can fail)', () => {
    const ds = structuredClone(find('DaemonSet')) as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } } & Obj;
    ds.spec.template.spec.containers[0]!.ports = [{ containerPort: 'grpc' }];
    expect(() => validate(ds)).toThrow(/containerPort must be integer/);
    const nad = structuredClone(find('NetworkAttachmentDefinition')) as Obj & { spec: Record<string, unknown> };
    nad.spec.confg = nad.spec.config;
    expect(() => validate(nad)).toThrow(/additionalProperties/);
  });

  it('gives the CNI plugin a configuration it accepts, with the pod volume the example pod has', () => {
    const nad = find('NetworkAttachmentDefinition') as Obj & { spec: { config: string } };
    const conf = parseConf(nad.spec.config, 'ADD');
    const cm = find('ConfigMap') as Obj & { data: Record<string, string> };
    const policy = parsePolicy(cm.data['cni.json']!, 'cni.json');
    const pod0 = find('Pod') as Obj & { metadata: { namespace: string } };
    // The example pod's namespace may join, with what the example asks.
    expect(authorize(conf, { command: 'ADD', containerId: 'x', netns: '/n', ifname: 'net1', args: { K8S_POD_NAMESPACE: pod0.metadata.namespace } }, policy))
      .toMatchObject({ portSecurity: { allowedMacs: [], allowedIps: [] } });
    expect(conf).toMatchObject({ name: nad.metadata.name, network: 'default', mode: 'client', hugepages: { sizeMib: 64 } });
    // Without "mode" the plugin asks for client mode: pods ride through a fastpathd restart.
    const bare = JSON.parse(nad.spec.config) as Record<string, unknown>;
    delete bare.mode;
    expect(parseConf(JSON.stringify(bare), 'ADD').mode).toBe('client');
    expect((JSON.parse(nad.spec.config) as { type: string }).type).toBe('fastpath-cni');
    const pod = find('Pod') as Obj & { metadata: { annotations: Record<string, string> }; spec: { volumes: Array<{ name: string; emptyDir?: object }>; containers: Array<{ args: string[]; volumeMounts: Array<{ name: string; mountPath: string }> }> } };
    expect(pod.metadata.annotations['k8s.v1.cni.cncf.io/networks']).toBe(`${nad.metadata.name}@net1`);
    expect(pod.spec.volumes.find((v) => v.name === policy.podVolume)?.emptyDir).toBeDefined();
    const c = pod.spec.containers[0]!;
    expect(c.volumeMounts).toContainEqual({ name: policy.podVolume, mountPath: conf.podMountPath });
    // No command: the image's entrypoint removes a stale socket of a server=1 vdev first.
    expect((c as { command?: string[] }).command).toBeUndefined();
    expect(c.args.slice(0, 2)).toEqual(['dpdk-testpmd', `--vdev=net_virtio_user0,path=${conf.podMountPath}/net1/sock,queues=1,server=1`]);
  });

  it('runs files that exist, with a configuration fastpathd can read', () => {
    const ds = find('DaemonSet') as Obj & { spec: { template: { spec: { containers: Array<{ livenessProbe: { exec: { command: string[] } } }>; initContainers: Array<{ args: string[] }> } } } };
    const probe = ds.spec.template.spec.containers[0]!.livenessProbe.exec.command;
    expect(probe.slice(0, 2)).toEqual(['node', '/opt/fastpath/.dist/daemon/health-probe.js']);
    expect(existsSync(join(ROOT, 'src', 'daemon', 'health-probe.ts'))).toBe(true);
    expect(ds.spec.template.spec.initContainers[0]!.args.join(' ')).toContain('/opt/fastpath/deploy/cni/fastpath-cni');
    expect(existsSync(join(ROOT, 'deploy', 'cni', 'fastpath-cni'))).toBe(true);
    const cm = find('ConfigMap') as Obj & { data: Record<string, string> };
    expect(JSON.parse(cm.data['fastpathd.json']!)).toMatchObject({ grpc: { socket: '/run/fastpath/fastpath.sock' } });
  });
});
