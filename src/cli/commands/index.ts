// SPDX-License-Identifier: Apache-2.0
// Every fpctl command, in the order `fpctl help` lists them.
import type { CommandSpec } from '../command.js';
import { attach } from './attach.js';
import { events } from './events.js';
import { flowAdd, flowDel, flowDump, flowMiss, flowReplace } from './flow.js';
import { hugepagesList, hugepagesPool, hugepagesRelease, hugepagesReserve } from './hugepages.js';
import { info } from './info.js';
import { networkAdd, networkDel, networkList, networkShow } from './network.js';
import { overlayDel, overlayList, overlaySet } from './overlay.js';
import { portAdd, portDel, portList, portSet, portShow } from './port.js';
import { stats } from './stats.js';
import { uplinkAdd, uplinkDel, uplinkList } from './uplink.js';
import { workers } from './workers.js';

export const COMMANDS: CommandSpec[] = [
  networkAdd, networkDel, networkList, networkShow,
  portAdd, portDel, portList, portShow, portSet,
  flowAdd, flowDel, flowDump, flowReplace, flowMiss,
  uplinkAdd, uplinkDel, uplinkList,
  overlaySet, overlayDel, overlayList,
  attach, events, stats, info, workers,
  hugepagesPool, hugepagesReserve, hugepagesRelease, hugepagesList,
];
