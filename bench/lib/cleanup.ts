// SPDX-License-Identifier: Apache-2.0
// Undo stack for everything the bench creates (processes, EAL runtime
// directories, socket directories, the data plane). The same stack runs on
// success, on failure and on SIGINT/SIGTERM/SIGHUP, so an interrupted run
// leaves no spinning DPDK process behind on a shared machine.

interface Step {
  what: string;
  fn: () => Promise<void> | void;
}

export class Cleanup {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;
  private signal: NodeJS.Signals | undefined;

  /** Register an undo step; the handle runs it now (once) and forgets it. */
  defer(what: string, fn: () => Promise<void> | void): () => Promise<void> {
    const step: Step = { what, fn };
    this.steps.push(step);
    return async () => {
      const i = this.steps.indexOf(step);
      if (i < 0) return; // already run by runAll()
      this.steps.splice(i, 1);
      await step.fn();
    };
  }

  /** The signal that interrupted the run, if any. */
  get interruptedBy(): NodeJS.Signals | undefined {
    return this.signal;
  }

  /**
   * Run every step, newest first. A failing step is reported and the rest
   * still run: a half-cleaned machine is worse than a noisy log. Idempotent:
   * the signal path and the main flow's finally may both call it.
   */
  runAll(log: (msg: string) => void = (m) => console.error(m)): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!;
        try {
          await step.fn();
        } catch (e) {
          log(`cleanup: ${step.what} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    })();
    return this.running;
  }

  /**
   * On SIGINT/SIGTERM/SIGHUP: clean up, then exit 128+signo. A second
   * signal while cleaning does not cut the cleanup short (the steps
   * themselves are bounded by timeouts).
   */
  installSignalHandlers(): void {
    const codes: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
    for (const sig of Object.keys(codes) as NodeJS.Signals[]) {
      process.on(sig, () => {
        if (this.signal) return;
        this.signal = sig;
        console.error(`\n${sig}: cleaning up...`);
        void this.runAll().finally(() => process.exit(128 + (codes[sig] ?? 0)));
      });
    }
  }
}
