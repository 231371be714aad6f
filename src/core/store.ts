// SPDX-License-Identifier: Apache-2.0
// Crash-safe persistence of the desired state: write a temp file, fsync it,
// rename it over the state file, fsync the directory. The file carries a
// SHA-256 of its body, so truncation or corruption is detected on load and
// never mistaken for an empty state.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { emptyState, type DesiredState } from './state.js';

const FORMAT = 'fastpath-state';
const VERSION = 1;

export class CorruptStateError extends Error {
  readonly path: string;
  readonly movedTo: string | undefined;
  constructor(path: string, reason: string, movedTo?: string) {
    super(
      `state file ${path} is unreadable (${reason})` +
        (movedTo ? `; it was kept aside as ${movedTo}` : '') +
        '. Refusing to start with an empty state: fix or restore the file, or start with --reset-state to begin empty.',
    );
    this.name = 'CorruptStateError';
    this.path = path;
    this.movedTo = movedTo;
  }
}

interface Envelope {
  format: string;
  version: number;
  sha256: string;
  state: DesiredState;
}

function digest(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

function validate(s: unknown): s is DesiredState {
  const o = s as DesiredState;
  return !!o && Array.isArray(o.networks) && Array.isArray(o.ports) &&
    o.networks.every((n) => typeof n.name === 'string' && Number.isInteger(n.vlan) && Number.isInteger(n.mtu)) &&
    o.ports.every((p) => typeof p.name === 'string' && typeof p.network === 'string' && typeof p.mac === 'string' &&
      (p.mode === 'server' || p.mode === 'client') && Number.isInteger(p.queues)) &&
    (o.hugepages === undefined || (Array.isArray(o.hugepages) &&
      o.hugepages.every((h) => typeof h.owner === 'string' && Number.isInteger(h.sizeMib) && Number.isInteger(h.pageKb))));
}

export class StateStore {
  readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, 'state.json');
  }

  /** True when no state was ever saved here (a first start). */
  async isFresh(): Promise<boolean> {
    return readFile(this.path).then(() => false, (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  }

  /** Missing file: empty state. Unreadable file: moved aside, CorruptStateError. */
  async load(): Promise<DesiredState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw e;
    }
    const reason = this.check(text);
    if (typeof reason === 'string') {
      const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(this.path, aside);
      throw new CorruptStateError(this.path, reason, aside);
    }
    return reason;
  }

  private check(text: string): DesiredState | string {
    let env: Envelope;
    try {
      env = JSON.parse(text) as Envelope;
    } catch (e) {
      return `not valid JSON: ${(e as Error).message}`;
    }
    if (env?.format !== FORMAT) return 'not a fastpath state file';
    if (env.version !== VERSION) return `unsupported version ${String(env.version)}`;
    const body = JSON.stringify(env.state);
    if (digest(body) !== env.sha256) return 'checksum mismatch';
    if (!validate(env.state)) return 'malformed content';
    return { ...env.state, hugepages: env.state.hugepages ?? [] }; // older files had none
  }

  async save(state: DesiredState): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Serialised once, compactly: the whole state is rewritten on every
    // change, so this is the control plane's cost per call at scale.
    const body = JSON.stringify(state);
    const text = `{"format":"${FORMAT}","version":${VERSION},"sha256":"${digest(body)}","state":${body}}\n`;
    const tmp = `${this.path}.tmp-${process.pid}`;
    const f = await open(tmp, 'w', 0o600);
    try {
      await f.writeFile(text);
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, this.path);
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}
