// SPDX-License-Identifier: Apache-2.0
// What the loop needs from a switch under test, whichever it is.
import type { SwitchName } from './args.js';
import type { SocketDir } from './guest.js';

export interface SwitchSample {
  /** Cumulative busy TSC cycles of the forwarding lcore. */
  busyCycles: number;
  /** Cumulative packets the forwarding lcore received. */
  packets: number;
  /** Cumulative packets the switch dropped. */
  drops: number;
  /** TSC rate the cycles were counted at (0 when the switch did not say yet). */
  tscHz: number;
}

export interface SwitchUnderTest {
  readonly name: SwitchName;
  /** The two vhost-user sockets, in guest port order. */
  readonly sockets: readonly SocketDir[];
  /** Resolves when the switch sees both guest ports in the given state. */
  waitLinks(up: boolean, timeoutMs: number): Promise<void>;
  sample(): Promise<SwitchSample>;
}
