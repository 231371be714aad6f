// SPDX-License-Identifier: Apache-2.0
// Runs deploy/cni/fastpath-cni exactly as a container runtime does: a new
// process with CNI_* in its environment, the network configuration on
// stdin, the result (or error object) read from stdout.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CNI_PLUGIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'cni', 'fastpath-cni');

export interface CniCall {
  command: 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'GC' | 'STATUS';
  containerId?: string;
  netns?: string;
  ifname?: string;
  args?: string;
  conf: object;
  /** The node's plugin policy file (FASTPATH_CNI_POLICY); default: cniPolicy. */
  policy?: string;
  /** Raw stdin instead of conf as JSON. */
  stdin?: string;
  /** Raw CNI_* values (unvalidated, may be anything). */
  env?: Record<string, string>;
}

/** The policy file runCni hands the plugin unless a call names another. */
export let cniPolicy = '/nonexistent/fastpath-cni-policy.json';
export function useCniPolicy(file: string): void {
  cniPolicy = file;
}

export interface CniOutcome {
  code: number | null;
  /** stdout parsed as JSON (undefined when empty). */
  out: Record<string, unknown> | undefined;
  stdout: string;
  stderr: string;
}

export function runCni(c: CniCall): Promise<CniOutcome> {
  const env: Record<string, string> = {
    // What a runtime passes, and no more: PATH for the shim to find node.
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    CNI_COMMAND: c.command,
    CNI_PATH: '/opt/cni/bin',
    ...(c.containerId ? { CNI_CONTAINERID: c.containerId } : {}),
    ...(c.netns ? { CNI_NETNS: c.netns } : {}),
    ...(c.ifname ? { CNI_IFNAME: c.ifname } : {}),
    ...(c.args ? { CNI_ARGS: c.args } : {}),
    FASTPATH_CNI_POLICY: c.policy ?? cniPolicy,
    ...c.env,
  };
  return new Promise((resolve, reject) => {
    const p = spawn(CNI_PLUGIN, [], { env, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    p.on('error', reject);
    p.on('exit', (code) => {
      let out: Record<string, unknown> | undefined;
      try {
        out = stdout ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
      } catch {
        reject(new Error(`plugin wrote non-JSON to stdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve({ code, out, stdout, stderr });
    });
    p.stdin.end(c.stdin ?? JSON.stringify(c.conf));
  });
}
