// SPDX-License-Identifier: Apache-2.0
// The docs live beside what they describe (README.md maps them); a link
// between them that points at a missing file or heading fails here, so a
// moved section cannot leave a newcomer at a dead end.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCS = ['README.md', 'deploy/README.md', 'deploy/SECURITY.md', 'proto/README.md', 'native/README.md',
  'src/cli/README.md', 'test/README.md', 'bench/README.md', 'bench/RESULTS.md'];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(md: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (m) out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  }
  return out;
}

/** [text](target) outside code blocks and spans, local targets only. */
function links(md: string): string[] {
  const prose = md.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
}

describe('links between the docs', () => {
  for (const doc of DOCS) {
    it(`${doc}: every local link reaches a file and heading that exist`, () => {
      const md = readFileSync(join(ROOT, doc), 'utf8');
      const broken: string[] = [];
      for (const t of links(md)) {
        const [path, anchor] = t.split('#') as [string, string | undefined];
        const file = path === '' ? join(ROOT, doc) : resolve(ROOT, dirname(doc), path);
        if (!existsSync(file)) { broken.push(`${t} (no ${relative(ROOT, file)})`); continue; }
        if (anchor && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) broken.push(`${t} (no heading #${anchor})`);
      }
      expect(broken).toEqual([]);
    });
  }

  it('README.md maps every doc', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const doc of DOCS.filter((d) => d !== 'README.md')) expect(readme, doc).toContain(`(${doc})`);
  });
});
