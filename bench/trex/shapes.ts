// SPDX-License-Identifier: Apache-2.0
// What the client needs of each TRex RPC result, checked on every answer so
// that a server that answers differently (another TRex version) fails with a
// message naming the field, not later with "undefined". The shapes are those
// of TRex v3.08, recorded from the real server into
// test/data/trex/v3.08.json (bench/trex/record.ts); the unit tests' fake
// TRex answers with those recordings, so it cannot drift from the real one.

type Kind = 'string' | 'number' | 'object';
/** Dotted paths into the result and the type each must have; '' is the result itself. */
export const RESULT_SHAPES: Readonly<Record<string, ReadonlyArray<readonly [string, Kind]>>> = {
  api_sync_v2: [['api_h', 'string']],
  get_version: [['version', 'string']],
  acquire: [['', 'string']],
  get_port_status: [['state', 'string'], ['attr.layer_cfg.ether.src', 'string'], ['attr.layer_cfg.ether.dst', 'string']],
  get_port_stats: [['opackets', 'number'], ['ipackets', 'number'], ['obytes', 'number'], ['ibytes', 'number'],
    ['m_total_tx_pps', 'number'], ['m_total_rx_pps', 'number']],
  start_traffic: [['', 'object']],
};

export class TrexShapeError extends Error {
  constructor(method: string, path: string, want: Kind, got: unknown) {
    super(`TRex ${method}: the result has no ${want} at ${path || 'its top'} (got ${JSON.stringify(got)?.slice(0, 200)}); ` +
      'this client knows TRex v3.08 (test/data/trex/v3.08.json)');
    this.name = 'TrexShapeError';
  }
}

function at(v: unknown, path: string): unknown {
  if (path === '') return v;
  return path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), v);
}

/** The result itself, once it has what the client reads; else TrexShapeError. */
export function checkShape<T>(method: string, result: unknown): T {
  for (const [path, kind] of RESULT_SHAPES[method] ?? []) {
    const v = at(result, path);
    const ok = kind === 'object' ? v !== null && typeof v === 'object' : typeof v === kind;
    if (!ok) throw new TrexShapeError(method, path, kind, result);
  }
  return result as T;
}
