// SPDX-License-Identifier: Apache-2.0
// The JSON descriptor every process loads (src/api/gen/descriptor.json) is
// what proto/fastpath/v1 says today: regenerate with npm run gen:proto.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

// @ts-expect-error: a plain .mjs build script without types
import { descriptor } from '../../proto/descriptor.mjs';
import { DESCRIPTOR, loadFastpathProto } from '../../src/api/proto.js';

describe('the committed proto descriptor', () => {
  it('matches the .proto files', () => {
    expect(JSON.parse(readFileSync(DESCRIPTOR, 'utf8'))).toEqual(JSON.parse(JSON.stringify(descriptor())));
  });

  it('gives the services and their methods', () => {
    const p = loadFastpathProto();
    expect(Object.keys(p.fastpath.v1.PortService.service)).toContain('CreatePort');
    expect(Object.keys(p.fastpath.v1.SystemService.service)).toContain('GetSystemInfo');
    expect(Object.keys(p.fastpath.v1.OverlayService.service)).toEqual(expect.arrayContaining(['AddUplink', 'SetNetworkOverlay', 'ListNetworkOverlays']));
  });
});
