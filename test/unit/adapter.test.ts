// SPDX-License-Identifier: Apache-2.0
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';

import { Adapter } from '../../src/api/adapter.js';
import { reasonOf } from '../../src/api/error-info.js';
import { ApiError } from '../../src/core/errors.js';
import { DataplaneError } from '../../src/dataplane/index.js';

describe('error adapter', () => {
  const logged: object[] = [];
  const a = new Adapter({ error: (o) => logged.push(o) });

  it('maps typed and data plane errors to their status', () => {
    const st = a.toStatus('M', new ApiError('NOT_FOUND', 'no port named x', 'PORT_NOT_FOUND'));
    expect([st.code, st.details]).toEqual([grpc.status.NOT_FOUND, 'no port named x']);
    // The reason travels in the status details, readable by any gRPC client.
    expect(reasonOf({ metadata: st.metadata })).toBe('PORT_NOT_FOUND');
    expect(reasonOf({ metadata: a.toStatus('M', new DataplaneError('EBUSY', 'busy')).metadata })).toBe('FAILED_PRECONDITION');
    expect(reasonOf({ metadata: new grpc.Metadata() })).toBeUndefined();
    expect(a.toStatus('M', new DataplaneError('ENAMETOOLONG', 'too long')).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(a.toStatus('M', new DataplaneError('EBUSY', 'busy')).code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(a.toStatus('M', new DataplaneError('ENOMEM', 'no memory')).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(logged).toHaveLength(0);
  });

  it('logs anything unexpected and returns INTERNAL without internals', () => {
    const st = a.toStatus('CreatePort', new Error('EACCES: open /var/lib/fastpath/secret'));
    expect(st).toEqual({ code: grpc.status.INTERNAL, details: 'internal error; see the fastpathd log' });
    expect(JSON.stringify(logged)).toContain('/var/lib/fastpath/secret');
  });
});
