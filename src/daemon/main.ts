// SPDX-License-Identifier: Apache-2.0
// fastpathd: a linear, logged start-up (config -> state -> data plane ->
// replay -> API -> ready) and a clean shutdown on SIGTERM/SIGINT that keeps
// the state (and, unless asked, the port directories containers mount).
import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Logger } from 'pino';

import type { DesiredState } from '../core/state.js';
import type { StateStore } from '../core/store.js';
import { Dataplane, type DataplaneInfo } from '../dataplane/index.js';
import { loadAddon } from '../dataplane/native.js';
import { ConfigError, loadConfig, type DaemonConfig } from './config.js';

/**
 * What replay needs, loaded while EAL initialises on fp-ctl's thread. A
 * restart is a forwarding gap for every tenant, so start-up is ordered by
 * what forwarding waits for: EAL, then these (small), then replay. gRPC,
 * protobufjs and prom-client (~1 MB of code, ~150 ms of CPU here, on the same
 * CPU as fp-ctl and the vhost threads) load only once forwarding is on.
 */
async function loadReplayModules() {
  const [hp, mac, flows, kernel, orch, keeper, overlay] = await Promise.all([
    import('../core/hugepages/manager.js'), import('../core/mac-pool.js'), import('../core/flows/flow-manager.js'),
    import('../core/kernel/kernel-manager.js'), import('../core/orchestrator.js'), import('../core/state-keeper.js'),
    import('../core/uplinks/overlay-manager.js'),
  ]);
  return {
    HugepageManager: hp.HugepageManager, MacPool: mac.MacPool, FlowManager: flows.FlowManager,
    KernelInterfaces: kernel.KernelInterfaces, Orchestrator: orch.Orchestrator, StateKeeper: keeper.StateKeeper,
    OverlayManager: overlay.OverlayManager,
  };
}
type ReplayModules = Awaited<ReturnType<typeof loadReplayModules>>;

async function loadApiModules() {
  const [api, metrics] = await Promise.all([import('../api/server.js'), import('../metrics/metrics.js')]);
  return { ApiServer: api.ApiServer, Metrics: metrics.Metrics };
}

const VERSION = (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

async function main(): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`fastpathd: ${(e as Error).message}\n`);
    return 2;
  }
  const { config, sources } = loaded;

  // One fastpathd per run directory and state directory, before anything
  // else is touched: the API socket, state, EAL, port directories, mounts.
  const holder = takeLocks([dirname(config.grpc.socket), config.stateDir]);
  if (holder !== undefined) {
    process.stderr.write(`fastpathd: fastpathd already running (pid ${holder})\n`);
    return 2;
  }

  const dp = new Dataplane(config.dataplane);
  // (With its own threads on a worker's CPU, a restart took twice as long.)
  try {
    dp.confineToMainCpu();
  } catch (e) {
    process.stderr.write(`fastpathd: --main-cpu ${dp.config.mainCpu}: ${(e as Error).message}\n`);
    return 2;
  }

  // EAL first: it starts on fp-ctl's thread, and everything else (the
  // logger, the state, the replay modules) loads here meanwhile. A restart
  // is a forwarding gap for every tenant, and EAL is its longest step.
  const starting = dp.start();
  starting.catch(() => undefined); // awaited below; a failure is reported there
  const [{ default: pino }, { StateStore, CorruptStateError }, { emptyState }] = await Promise.all([
    import('pino'), import('../core/store.js'), import('../core/state.js'),
  ]);
  // Written synchronously: no line is lost when the process ends abruptly
  // (a crash, or the _exit that ends a graceful stop); there are few.
  const log = pino({ name: 'fastpathd', level: config.logLevel }, pino.destination({ dest: 1, sync: true }));
  // bootMs: from the process's start to EAL started and the logger loaded.
  log.info({ step: 'config', bootMs: Math.round(performance.now()), version: VERSION, sources, grpc: config.grpc, stateDir: config.stateDir }, 'configuration loaded');
  const loading = loadReplayModules();
  loading.catch(() => undefined);
  /** A start-up that ends before the data plane is needed still stops it. */
  const giveUp = async (code: number): Promise<number> => {
    await starting.then(() => dp.stop({ keepPortDirs: true })).catch(() => undefined);
    return code;
  };

  // state
  const store = new StateStore(config.stateDir);
  const firstStart = await store.isFresh();
  let state: DesiredState;
  try {
    state = await store.load();
  } catch (e) {
    if (!(e instanceof CorruptStateError)) {
      await giveUp(1);
      throw e;
    }
    if (!config.resetState) {
      log.fatal({ step: 'state', path: e.path, keptAs: e.movedTo }, e.message);
      return giveUp(3);
    }
    log.warn({ step: 'state', path: e.path, keptAs: e.movedTo }, 'corrupt state file set aside; starting empty as --reset-state asks');
    state = emptyState();
    await store.save(state);
  }
  if (config.resetState && (state.networks.length > 0 || state.ports.length > 0 || state.hugepages.length > 0)) {
    log.warn({ step: 'state', networks: state.networks.length, ports: state.ports.length }, '--reset-state: discarding the saved state');
    state = emptyState();
    await store.save(state);
  }
  log.info({ step: 'state', path: store.path, networks: state.networks.length, ports: state.ports.length }, 'state loaded');

  // data plane
  const info = await starting;
  if (info.sharedCpus.length > 0) {
    log.warn({ step: 'dataplane', sharedCpus: info.sharedCpus }, 'more than one lcore runs on these CPUs: the workers share them and cannot be fast (fine for tests, not for traffic)');
  }
  log.info({ step: 'dataplane', dpdk: info.dpdkVersion, mainLcore: info.mainLcore, workerLcores: info.workerLcores, hugePages: info.hugePages, memory: info.memoryReason, eal: info.eal.join(' ') }, 'data plane started');

  // From here on a failure must not leave the data plane (and its EAL
  // runtime directory) behind.
  try {
    return await serve(await loading, config, log, dp, info, store, state, firstStart);
  } catch (e) {
    log.fatal({ err: (e as Error).message }, 'start-up failed; stopping the data plane');
    await dp.stop({ keepPortDirs: true }).catch(() => undefined);
    return 1;
  }
}

/** Lock <dir>/fastpathd.lock in each directory; the holder's pid if one is taken. */
function takeLocks(dirs: string[]): number | undefined {
  const addon = loadAddon();
  const real = new Set(dirs.map((d) => {
    mkdirSync(d, { recursive: true, mode: 0o755 });
    return realpathSync(d); // the same directory twice would lock against itself
  }));
  for (const d of real) {
    const r = addon.lockFile(join(d, 'fastpathd.lock'));
    if (!r.locked) return r.holder;
  }
  return undefined;
}

async function serve(
  m: ReplayModules, config: DaemonConfig, log: Logger, dp: Dataplane, info: DataplaneInfo,
  store: StateStore, state: DesiredState, firstStart: boolean,
): Promise<number> {
  const { HugepageManager, MacPool, FlowManager, KernelInterfaces, Orchestrator, StateKeeper, OverlayManager } = m;
  // replay, then forwarding
  const keeper = new StateKeeper(store, state);
  // The data plane's own hugepages (on the 2M pool) count as fastpath's.
  const ownPages = info.hugePages ? Math.ceil((dp.config.memoryMb) / 2) : 0;
  const hp = new HugepageManager(keeper, config.hugepages, ownPages, log);
  const verified = await hp.verify();
  log.info({ step: 'hugepages', root: config.hugepages.root, ...verified }, 'hugepage reservations verified');
  const kernel = new KernelInterfaces(dp, config.exceptionPath, log);
  const exceptionPath = kernel.describe();
  log.info({ step: 'exception-path', ...exceptionPath }, 'kernel exception path');
  if (keeper.state.macStart === undefined) {
    // Chosen once per daemon (and kept): nodes sharing a network through an
    // overlay must not hand out the same MACs.
    await keeper.commit({ ...keeper.state, macStart: randomInt(1, Math.min(config.macPoolSize, 0xffffff) + 1) });
  }
  const orch = new Orchestrator(dp, keeper, new MacPool(config.macPrefix, config.macPoolSize, keeper.state.macStart), config.limits, log,
    (owner) => {
      const r = hp.get(owner);
      return r ? { hostPath: r.mountPath, sizeMib: r.record.sizeMib } : undefined;
    }, kernel);
  const replayed = await orch.replay();
  // Uplinks and overlays: after their networks, before forwarding.
  const overlay = new OverlayManager(dp, keeper, log);
  const overlayReplayed = await overlay.replay();
  // Flow rules name ports: their tables go in after the ports, before forwarding.
  const flows = new FlowManager(dp, keeper, config.limits, log, (n) => orch.hasKernelInterface(n));
  const flowsReplayed = await flows.replay();
  if (firstStart && config.defaultNetwork) {
    // So that `fpctl port add web0` works on a new machine. Only on the very
    // first start: a user who deletes it does not get it back.
    await orch.createNetwork({ name: config.defaultNetwork });
  }
  await dp.setForwarding(true);
  log.info({
    step: 'replay', ...replayed, flowTables: flowsReplayed.tables, flows: flowsReplayed.flows, failedFlowTables: flowsReplayed.failed,
    uplinks: overlayReplayed.uplinks, overlays: overlayReplayed.overlays, failedOverlay: overlayReplayed.failed,
  }, 'state replayed; forwarding enabled');

  // API
  const { ApiServer, Metrics } = await loadApiModules();
  const metrics = config.metrics.enabled ? new Metrics(dp) : undefined;
  const api = new ApiServer(dp, orch, hp, flows, overlay, { version: VERSION, startedAt: Date.now(), exceptionPath: `${exceptionPath.kind} (${exceptionPath.reason})` }, log,
    metrics ? (m, code, s) => metrics.observeCall(m, code, s) : undefined, config.grpc.streamBacklog);
  const bound = await api.listen({ unixSocket: config.grpc.socket, socketMode: config.grpc.socketMode, ...(config.grpc.tcp ? { tcp: config.grpc.tcp } : {}) });
  let metricsAt: string | undefined;
  if (metrics) {
    const [host, port] = [config.metrics.listen.slice(0, config.metrics.listen.lastIndexOf(':')), Number(config.metrics.listen.slice(config.metrics.listen.lastIndexOf(':') + 1))];
    metricsAt = `http://${host}:${await metrics.listen(host, port)}/metrics`;
  }
  log.info({ step: 'api', grpc: bound, metrics: metricsAt ?? 'off' }, 'API listening');
  // The configured overlay (and, in Kubernetes, the peer watch): idempotent
  // over what replay restored. A failure leaves this node's own switching up.
  const ovl = config.overlay
    ? await import('./overlay.js').then((o) => o.startOverlay(o.overlayTarget(overlay), config.overlay!, log)).catch((e: Error) => {
      log.error({ step: 'overlay', err: e.message }, 'overlay not started: this node switches locally only');
      return undefined;
    })
    : undefined;
  api.setServing(true);
  log.info({ step: 'ready' }, 'fastpathd ready');

  // shutdown
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      void (async () => {
        // No call in flight and none to come: the state file is final.
        await ovl?.stop();
        await api.close();
        await metrics?.close();
        if (config.removePortDirsOnStop) {
          await dp.stop({ keepPortDirs: false });
          log.info({ keptPortDirs: false }, 'stopped; state kept');
          resolve(0);
          return;
        }
        // A stop that keeps the port directories is a restart to come:
        // tenants keep forwarding until the process ends, and it ends now.
        log.info({ keptPortDirs: true }, 'stopped; state kept');
        dp.exitProcess(0);
      })().catch((e: unknown) => {
        log.error({ err: (e as Error).message }, 'error during shutdown');
        resolve(1);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error & { code?: string };
    process.stderr.write(`${JSON.stringify({ level: 60, name: 'fastpathd', msg: `start-up failed: ${err.message}`, code: err.code })}\n`);
    process.exit(1);
  },
);

export { ConfigError };
