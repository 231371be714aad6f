// SPDX-License-Identifier: Apache-2.0
// What ADD did for one attachment, kept on disk (one small JSON file per
// port, in the policy's root-only state directory) so DEL can undo exactly
// that and GC can find attachments whose container is gone. Written with
// rename so a crash leaves the old or the new file, never half of one.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import type { BindTarget } from './attach-dir.js';
import { writeFileAtomic } from './atomic-file.js';

export interface AttachmentRecord {
  port: string;
  netName: string;
  containerId: string;
  ifname: string;
  /** Where the port directory is bound for the workload (pod volume or attach directory). */
  bind?: BindTarget;
  deviceInfoFile: string;
  hugepages: boolean;
}

const PORT = /^cni-[0-9a-f]{6}-[0-9a-f]{12}$/;

export function saveRecord(dir: string, r: AttachmentRecord): void {
  writeFileAtomic(join(dir, `${r.port}.json`), JSON.stringify(r), 0o600, 0o700);
}

function valid(r: unknown): r is AttachmentRecord {
  const o = r as AttachmentRecord;
  return typeof o === 'object' && o !== null && typeof o.port === 'string' && PORT.test(o.port) && typeof o.deviceInfoFile === 'string'
    && (o.bind === undefined || (typeof o.bind.parent === 'string' && typeof o.bind.name === 'string'));
}

export function loadRecord(dir: string, port: string): AttachmentRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, `${port}.json`), 'utf8')) as unknown;
    return valid(r) && r.port === port ? r : undefined;
  } catch {
    return undefined;
  }
}

export function removeRecord(dir: string, port: string): void {
  rmSync(join(dir, `${port}.json`), { force: true });
}

export function listRecords(dir: string): AttachmentRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((n) => loadRecord(dir, n.slice(0, -5))).filter((r): r is AttachmentRecord => r !== undefined);
}
