// SPDX-License-Identifier: Apache-2.0
// fpctl events: follows WatchPortEvents until Ctrl-C, one line per event.
import * as grpc from '@grpc/grpc-js';

import type { CommandSpec, Context } from '../command.js';
import { formatEventLine } from '../format.js';

/** Ends when ctx.signal aborts (resolves) or the stream fails or ends on its own (rejects). */
function follow(ctx: Context, port: string): Promise<void> {
  const c = ctx.client;
  const call = c.ports.WatchPortEvents({ port });
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', stop);
      if (err === undefined) resolve();
      else reject(err);
    };
    // Cancelling is how a client ends a watch; grpc-js then reports CANCELLED.
    const stop = (): void => call.cancel();
    ctx.signal.addEventListener('abort', stop, { once: true });
    if (ctx.signal.aborted) stop();

    call.on('data', ({ event }) => {
      if (!event) return;
      // Compact JSON: one event per line, for `| jq -c` or a line reader.
      ctx.print(ctx.json ? JSON.stringify(event) : formatEventLine(event));
    });
    // A watch never ends by itself: when fastpathd ends it (it cancels open
    // calls as it stops), say so rather than grpc-js's "Call cancelled".
    const closedByServer = (): Error => new Error(`fastpathd at ${ctx.endpoint} closed the event stream (is it stopping?)`);
    call.on('error', (e: grpc.ServiceError) => {
      if (ctx.signal.aborted) settle();
      else settle(e.code === grpc.status.CANCELLED ? closedByServer() : e);
    });
    call.on('end', () => settle(ctx.signal.aborted ? undefined : closedByServer()));
  });
}

export const events: CommandSpec = {
  words: ['events'],
  args: [],
  summary: 'follow port events (guest connected/disconnected, queue state) until Ctrl-C',
  options: { port: { type: 'string', value: 'NAME', help: 'only this port\'s events' } },
  details: 'Human output: time (UTC), port, event, details. --json: one PortEvent object per line.',
  async run(ctx, _args, opts) {
    const port = (opts.port as string | undefined) ?? '';
    ctx.note(`watching events of ${port ? `port ${port}` : 'every port'} (Ctrl-C to stop)`);
    await follow(ctx, port);
  },
};
