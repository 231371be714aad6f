// SPDX-License-Identifier: Apache-2.0
// fastpath-cni: a CNI 1.0/1.1 plugin (ADD, DEL, CHECK, VERSION, GC, STATUS)
// that gives each attachment its own fastpath vhost-user port. Started by
// the container runtime (deploy/cni/fastpath-cni is the executable): CNI_*
// in the environment, the network configuration on stdin, the result or
// an error object on stdout, nothing else there.
import { readFileSync } from 'node:fs';

import { authorize, parseConf, parseEnv, SUPPORTED_VERSIONS } from './config.js';
import type { Plugin } from './commands.js';
import { CNI_ERR, CniError } from './errors.js';
import { loadPolicy } from './policy.js';

async function main(): Promise<number> {
  let cniVersion = '1.0.0';
  let plugin: Plugin | undefined;
  try {
    const env = parseEnv(process.env);
    const stdin = readFileSync(0, 'utf8');
    if (env.command === 'VERSION') {
      const v = parseConf(stdin || '{}', 'VERSION').cniVersion;
      process.stdout.write(JSON.stringify({ cniVersion: SUPPORTED_VERSIONS.includes(v) ? v : '1.1.0', supportedVersions: SUPPORTED_VERSIONS }));
      return 0;
    }
    let conf = parseConf(stdin, env.command);
    cniVersion = conf.cniVersion;
    const policy = loadPolicy();
    // Only ADD makes things; undoing them must work whatever the policy now says.
    if (env.command === 'ADD') conf = authorize(conf, env, policy);
    // gRPC and the protobuf runtime load only for commands that need the
    // daemon: a plugin is a new process on every call.
    const { Plugin: P } = await import('./commands.js');
    plugin = new P(conf, env, policy);
    switch (env.command) {
      case 'ADD': process.stdout.write(JSON.stringify(await plugin.add())); break;
      case 'DEL': await plugin.del(); break;
      case 'CHECK': await plugin.check(); break;
      case 'GC': await plugin.gc(); break;
      case 'STATUS': await plugin.status(); break;
    }
    return 0;
  } catch (e) {
    const err = e instanceof CniError ? e : new CniError(CNI_ERR.io, (e as Error).message ?? String(e));
    process.stdout.write(JSON.stringify(err.toJSON(cniVersion)));
    return 1;
  } finally {
    plugin?.close();
  }
}

process.exitCode = await main();
