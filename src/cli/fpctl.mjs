#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The `fpctl` bin (package.json "bin"): registers tsx so the TypeScript
// sources run as they are, with no build step, then starts the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
