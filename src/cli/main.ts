// SPDX-License-Identifier: Apache-2.0
// fpctl's entry point (compiled to .dist/cli/main.js; src/cli/fpctl.mjs is the bin): wires the
// process's streams and signals to runCli and exits with its status.
import { runCli } from './run.js';

const stop = new AbortController();
// Once: a second Ctrl-C gets Node's default and ends fpctl at once.
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

// `fpctl port list | head -1`: a reader that goes away is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  signal: stop.signal,
});
// Exit now rather than when the event loop drains: grpc-js may keep a
// cancelled call's timers around. Writes to pipes and files are synchronous
// on Linux, so nothing printed is lost.
process.exit(code);
