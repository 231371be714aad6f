// SPDX-License-Identifier: Apache-2.0
// fpctl attach: what a container's owner needs, and nothing else.
import { UsageError } from '../args.js';
import type { CommandSpec } from '../command.js';
import { shellJoin } from '../format.js';
import { attachOf, renderAttach } from '../port-view.js';

export const attach: CommandSpec = {
  words: ['attach'],
  args: ['<port>'],
  summary: 'what a container needs to attach to a port: socket, mount, EAL arguments, docker run example',
  options: {
    oneline: { type: 'boolean', help: 'print only the EAL arguments, on one line, e.g. for dpdk-testpmd $(fpctl attach web0 --oneline)' },
  },
  details: '--json prints the API\'s Attach message: socketPath, hostDir, containerDir, ealArgs, vdev, dockerRun.',
  async run(ctx, [name], opts) {
    if (opts.oneline && ctx.json) throw new UsageError('--oneline and --json do not go together', attach);
    const c = ctx.client;
    const { port } = await c.unary(c.ports, c.ports.GetPort, { name });
    const a = attachOf(port!);
    if (ctx.json) return ctx.printJson(a);
    if (opts.oneline) return ctx.print(shellJoin(a.ealArgs));
    ctx.print(renderAttach(port!, { oneLine: true }));
  },
};
