// SPDX-License-Identifier: Apache-2.0
// What fastpathd's automatic exception path choice is on this machine:
// vhost-net where /dev/vhost-net works (not on the development VM), else
// tap. Tests assert the choice the machine calls for, so they hold on both.
import { probeVhostNet } from '../../src/core/kernel/exception-path.js';

export const HAS_VHOST_NET = probeVhostNet() === undefined;
export const AUTO_KIND = HAS_VHOST_NET ? 'vhost-net' : 'tap';
/** SystemService.exceptionPath under --exception-path auto. */
export const AUTO_PATH_RE = HAS_VHOST_NET
  ? /^vhost-net \(auto: \/dev\/vhost-net works/
  : /^tap \(auto: \/dev\/vhost-net does not exist/;
