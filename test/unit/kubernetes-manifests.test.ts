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
import { parseOverlayConfig } from '../../src/daemon/overlay-config.js';

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

  it('gives fastpathd its node address and name from the downward API', () => {
    const ds = find('DaemonSet') as Obj & { spec: { template: { spec: { containers: Array<{ name: string; env?: Array<{ name: string; valueFrom?: unknown }> }> } } } };
    const env = ds.spec.template.spec.containers.find((c) => c.name === 'fastpathd')!.env ?? [];
    expect(env).toContainEqual({ name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } });
    expect(env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
  });

  it('lets fastpathd read pods in its own namespace and nothing cluster-wide', () => {
    // Cluster-scoped grants would be ClusterRole/ClusterRoleBinding objects: there are none.
    expect(objects.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
    const ds = find('DaemonSet') as Obj & { spec: { template: { spec: { serviceAccountName: string } } } };
    const ns = ds.metadata.namespace;
    const role = find('Role') as Obj & { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }> };
    const binding = find('RoleBinding') as Obj & { roleRef: { kind: string; name: string }; subjects: Array<{ kind: string; name: string; namespace: string }> };
    expect(role.metadata.namespace).toBe(ns);
    expect(binding.metadata.namespace).toBe(ns);
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: ds.spec.template.spec.serviceAccountName, namespace: ns }]);
    const onPods = role.rules.filter((r) => r.resources.some((x) => x === 'pods' || x.startsWith('pods/') || x === '*'));
    expect(onPods).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
    // Nothing else changed: its ConfigMap (read) and events (write).
    expect(role.rules.filter((r) => !onPods.includes(r)).map((r) => [r.resources, r.verbs])).toEqual([
      [['configmaps'], ['get', 'watch']], [['events'], ['create', 'patch']],
    ]);
    expect(role.rules.flatMap((r) => [...r.verbs, ...r.resources, ...r.apiGroups])).not.toContain('*');
  });

  it('configures an overlay fastpathd parses, peering with the DaemonSet\'s own pods', () => {
    const cm = find('ConfigMap') as Obj & { data: Record<string, string> };
    const file = JSON.parse(cm.data['fastpathd.json']!) as { overlay: unknown; defaultNetwork: string };
    const overlay = parseOverlayConfig(file.overlay, { NODE_IP: '10.1.0.5', NODE_NAME: 'node-a' });
    const ds = find('DaemonSet') as Obj & { spec: { template: { metadata: { labels: Record<string, string> } } } };
    expect(overlay).toEqual({
      uplink: { name: 'eth1', iface: 'eth1', driver: 'af_packet', queues: 1, address: '10.1.0.5/24' },
      networks: [{ name: 'default', vni: 100 }],
      peers: { kind: 'kubernetes', namespace: ds.metadata.namespace, labelSelector: 'app.kubernetes.io/name=fastpathd', nodeName: 'node-a' },
    });
    // The selector picks the DaemonSet's pods.
    const [k, v] = (overlay!.peers as { labelSelector: string }).labelSelector.split('=');
    expect(ds.spec.template.metadata.labels[k!]).toBe(v);
    // The network the overlay joins is the one every node makes and the NetworkAttachmentDefinition uses.
    const nad = find('NetworkAttachmentDefinition') as Obj & { spec: { config: string } };
    expect(overlay!.networks.map((n) => n.name)).toEqual([file.defaultNetwork]);
    expect(parseConf(nad.spec.config, 'ADD').network).toBe(file.defaultNetwork);
    // Without the DaemonSet's environment it is refused, not half-read.
    expect(() => parseOverlayConfig(file.overlay, { NODE_NAME: 'node-a' })).toThrow(/NODE_IP is not set/);
  });
});
