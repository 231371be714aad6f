// SPDX-License-Identifier: Apache-2.0
// A dpdk-testpmd CNF in a real podman container, started from what
// fastpathd's API returned for its port: the `docker run` line of the
// Attach message (its flags and bind mounts, the port directory and the
// hugepage reservation) and its EAL arguments, with `podman` for `docker`
// and the CNF image for `<image>`. Driven through testpmd's prompt on the
// container's stdin (podman run -i).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { TestpmdProcess } from './testpmd.js';

const run = promisify(execFile);

export const CNF_IMAGE = process.env.FP_CNF_IMAGE ?? 'localhost/fastpath-cnf-testpmd:dev';
/** Every container the helpers start carries it, so leftovers can be found. */
export const CNF_LABEL = 'org.fastpath.cnf';

export interface AttachLike {
  ealArgs: string[];
  dockerRun: string;
}

export interface PodmanCnfOptions {
  /** Container name. */
  name: string;
  attach: AttachLike;
  image?: string;
  /** CPU for testpmd's main and forwarding lcores. */
  cpu?: number;
  forwardMode?: string;
  mbufs?: number;
  /** Label value, e.g. the test file's tag. */
  label?: string;
  /** Extra `podman run` options (e.g. more -v). */
  podmanArgs?: string[];
  /** Replaces attach.ealArgs, for a container attached another way (CNI device-info). */
  ealArgs?: string[];
  timeoutMs?: number;
  /** podman's --network (default none: the vhost-user socket is a file). */
  network?: string;
  /** Extra environment for every podman call about this container (e.g. CONTAINERS_CONF). */
  env?: Record<string, string>;
}

/**
 * podman argv from an Attach message: the docker run line's options before
 * `<image>`, `-it` as `-i` (stdin is a pipe, not a terminal), then the image
 * and testpmd with exactly the API's EAL arguments.
 */
export function podmanArgv(o: PodmanCnfOptions): string[] {
  const t = o.attach.dockerRun.split(' ');
  const img = t.indexOf('<image>');
  if (t[0] !== 'docker' || t[1] !== 'run' || img < 0 || t[img + 1] !== 'dpdk-testpmd') {
    throw new Error(`unexpected docker run line: ${o.attach.dockerRun}`);
  }
  // The EAL arguments in the line must be the ones the API returned.
  const inLine = t.slice(img + 2, t.indexOf('--', img));
  const eal = o.ealArgs ?? o.attach.ealArgs;
  if (!o.ealArgs && inLine.join(' ') !== eal.join(' ')) throw new Error(`docker run line and ealArgs differ: ${o.attach.dockerRun}`);
  const flags = t.slice(2, img).flatMap((f) => (f === '-it' ? ['-i'] : [f]));
  const cpu = o.cpu ?? 0;
  return [
    'podman', 'run', ...flags,
    '--name', o.name, '--label', `${CNF_LABEL}=${o.label ?? 'yes'}`,
    // testpmd needs no kernel network; the vhost-user socket is a file.
    '--network', o.network ?? 'none',
    ...(o.podmanArgs ?? []),
    o.image ?? CNF_IMAGE,
    // stdout is a pipe: unbuffer it so output and prompts stay in order.
    'stdbuf', '-o0', '-e0', 'dpdk-testpmd',
    '--lcores', `0@${cpu},1@${cpu}`, ...eal, '--no-pci', '--log-level', '*:notice',
    '--', '-i', `--total-num-mbufs=${o.mbufs ?? 2048}`, '--nb-cores=1', `--forward-mode=${o.forwardMode ?? 'rxonly'}`,
  ];
}

export class PodmanCnf {
  private constructor(readonly name: string, readonly testpmd: TestpmdProcess, readonly argv: string[], private readonly env: NodeJS.ProcessEnv) {}

  /** `podman run` the CNF and wait for testpmd's prompt. */
  static async start(o: PodmanCnfOptions): Promise<PodmanCnf> {
    const argv = podmanArgv(o);
    const env = { ...process.env, ...o.env };
    // A previous run of the same name (a crashed test) would block the name.
    await run('podman', ['rm', '-f', '--ignore', o.name], { env });
    try {
      return new PodmanCnf(o.name, await TestpmdProcess.spawn(o.name, argv, { timeoutMs: o.timeoutMs ?? 60_000, env: o.env }), argv, env);
    } catch (e) {
      await run('podman', ['rm', '-f', '--ignore', o.name], { env }).catch(() => undefined);
      throw e;
    }
  }

  cmd(line: string): Promise<string> {
    return this.testpmd.cmd(line);
  }

  /** A command inside the running container (podman exec). */
  async exec(...cmd: string[]): Promise<string> {
    return (await run('podman', ['exec', this.name, ...cmd], { env: this.env })).stdout;
  }

  /** podman stop: SIGTERM to testpmd (pid 1), as an orchestrator stops a CNF. */
  async stop(): Promise<void> {
    await run('podman', ['stop', '-t', '10', this.name], { env: this.env }).catch(() => undefined);
    await this.testpmd.kill();
    await run('podman', ['rm', '-f', '--ignore', this.name], { env: this.env });
  }

  /** Gone at once, whatever state it was in. */
  async remove(): Promise<void> {
    await run('podman', ['rm', '-f', '-t', '0', '--ignore', this.name], { env: this.env });
    await this.testpmd.kill();
  }
}

/** Names of containers carrying the CNF label (with this value), running or not. */
export async function listCnfs(label?: string): Promise<string[]> {
  const out = (await run('podman', ['ps', '-a', '--filter', `label=${CNF_LABEL}${label ? `=${label}` : ''}`, '--format', '{{.Names}}'])).stdout;
  return out.split('\n').filter(Boolean);
}
