// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CorruptStateError, StateStore } from '../../src/core/store.js';
import type { DesiredState } from '../../src/core/state.js';

const state: DesiredState = {
  networks: [{ name: 'n', vlan: 0, mtu: 1500 }],
  ports: [{ name: 'p', network: 'n', mode: 'server', queues: 1, vlan: 0, socketMode: 0o660, dirMode: 0o750, mac: '02:fa:57:00:00:01', macRequested: false }],
  hugepages: [{ owner: 'p', sizeMib: 64, pageKb: 2048, mode: 0o770 }],
};

describe('state store', () => {
  it('starts empty without a file, and round-trips what it saved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-store-'));
    const s = new StateStore(dir);
    expect(await s.load()).toEqual({ networks: [], ports: [], hugepages: [] });
    await s.save(state);
    expect(await new StateStore(dir).load()).toEqual(state);
    expect(readdirSync(dir)).toEqual(['state.json']); // no temp file left
  });

  it('detects truncation and tampering, and keeps the bad file aside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-store-'));
    const s = new StateStore(dir);
    await s.save(state);
    const good = readFileSync(s.path, 'utf8');
    expect(good).toContain('"queues":1');
    writeFileSync(s.path, good.replace('"queues":1', '"queues":2'));
    await expect(s.load()).rejects.toThrow(CorruptStateError);
    await expect(s.load()).resolves.toEqual({ networks: [], ports: [], hugepages: [] }); // moved aside: no file now
    const aside = readdirSync(dir).filter((f) => f.includes('.corrupt-'));
    expect(aside).toHaveLength(1);
    writeFileSync(s.path, good.slice(0, 40));
    await expect(s.load()).rejects.toThrow(/not valid JSON/);
  });
});
