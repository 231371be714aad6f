// SPDX-License-Identifier: Apache-2.0
// What ADD did for one attachment, kept on disk (one small JSON file per
// port) so DEL can undo exactly that and GC can find attachments whose
// container is gone. Written with rename so a crash leaves the old or the
// new file, never half of one.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AttachmentRecord {
  port: string;
  netName: string;
  containerId: string;
  ifname: string;
  /** Kubernetes: where the port directory is bound into the pod's volume. */
  podMount?: string;
  deviceInfoFile: string;
  hugepages: boolean;
}

export function saveRecord(dir: string, r: AttachmentRecord): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${r.port}.tmp`);
  writeFileSync(tmp, JSON.stringify(r), { mode: 0o600 });
  renameSync(tmp, join(dir, `${r.port}.json`));
}

export function loadRecord(dir: string, port: string): AttachmentRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, `${port}.json`), 'utf8')) as AttachmentRecord;
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
