// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ConfigError, defaultConfig, loadConfig } from '../../src/daemon/config.js';

describe('fastpathd configuration', () => {
  it('needs nothing: embedded defaults', () => {
    const { config, sources } = loadConfig([], {});
    expect(config).toEqual(defaultConfig());
    expect(sources).toEqual(['defaults']);
    expect(config.grpc.socket).toBe('/run/fastpath/fastpath.sock');
  });

  it('layers file < environment < flags', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'fp-cfg-')), 'c.json');
    writeFileSync(f, JSON.stringify({ stateDir: '/from/file', grpc: { socket: '/file.sock' }, limits: { maxPorts: 5 } }));
    const { config, sources } = loadConfig(['--config', f, '--grpc-socket', '/flag.sock'], {
      FASTPATH_GRPC_SOCKET: '/env.sock', FASTPATH_STATE_DIR: '/from/env', FASTPATH_WORKER_CPUS: '1,3',
    });
    expect(sources).toEqual(['defaults', f, 'environment', 'flags']);
    expect(config.grpc.socket).toBe('/flag.sock');
    expect(config.stateDir).toBe('/from/env');
    expect(config.limits.maxPorts).toBe(5);
    expect(config.limits.maxQueues).toBe(defaultConfig().limits.maxQueues);
    expect(config.dataplane.workerCpus).toEqual([1, 3]);
  });

  it('says what is wrong', () => {
    expect(() => loadConfig(['--bogus'], {})).toThrow(ConfigError);
    expect(() => loadConfig(['--hugepages', 'maybe'], {})).toThrow(/auto, on or off/);
    expect(() => loadConfig(['--config', '/nonexistent.json'], {})).toThrow(/cannot read config file/);
    expect(loadConfig(['--metrics', 'off'], {}).config.metrics.enabled).toBe(false);
  });
});
