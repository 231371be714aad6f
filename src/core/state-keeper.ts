// SPDX-License-Identifier: Apache-2.0
// The desired state in memory and on disk, shared by the managers that
// change it (networks/ports, hugepage reservations). Mutations run one at a
// time (a promise chain), so checks and allocations never race, and a
// change is adopted only once it is persisted.
import type { DesiredState } from './state.js';
import type { StateStore } from './store.js';

export class StateKeeper {
  private current: DesiredState;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: StateStore, initial: DesiredState) {
    this.current = structuredClone(initial);
  }

  get state(): DesiredState {
    return this.current;
  }

  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Persist, then adopt; if persisting fails, run undo (the live change). */
  async commit(next: DesiredState, undo?: () => Promise<void>): Promise<void> {
    try {
      await this.store.save(next);
    } catch (e) {
      if (undo) await undo().catch(() => undefined);
      throw e;
    }
    this.current = next;
  }
}
