// SPDX-License-Identifier: Apache-2.0
// The plugin's files (device-info, attachment records): a new file made
// here (O_EXCL, never through a link), synced, renamed over the old one and
// the directory synced, so a crash leaves the old or the new file.
import { closeSync, constants, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomic(file: string, text: string, mode: number, dirMode: number): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: dirMode });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const d = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}
