import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkImportGraph, importsOf } from './import-graph.js';

/** A repository of a few files: path → content (package.json objects are serialised). */
function repo(files: Record<string, string | object>): string {
  const root = mkdtempSync(join(tmpdir(), 'unmask-graph-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

const core = {
  'libs/core/package.json': {
    name: '@unmask/core',
    exports: { '.': './src/index.ts', './options': './src/options/index.ts' },
  },
  'libs/core/src/errors.ts': 'export class UnmaskError extends Error {}\n',
  'libs/core/src/options/index.ts': "import { z } from 'zod';\nexport const CACHE_MODES = z.enum(['none']);\n",
  'libs/core/src/runtime/pool.ts': "import { UnmaskError } from '../errors.js';\nexport const pool = UnmaskError;\n",
  'libs/core/src/decoding/engine.ts': "import { pool } from '../runtime/pool.js';\nexport const engine = pool;\n",
  'libs/core/src/index.ts': "export * from './decoding/engine.js';\nexport class TextTokenizer {}\n",
};
const protocol = {
  'libs/protocol/package.json': { name: '@unmask/protocol', dependencies: { '@unmask/core': '*' } },
  'libs/protocol/src/index.ts': "import { CACHE_MODES } from '@unmask/core/options';\nexport { CACHE_MODES };\n",
};
const api = {
  'apps/api/package.json': { name: '@unmask/api', dependencies: { '@unmask/core': '*', '@unmask/protocol': '*' } },
  'apps/api/src/main.ts': "import { engine } from '@unmask/core';\nexport const run = engine;\n",
};

describe('the import graph check', () => {
  const roots: string[] = [];
  const check = (files: Record<string, string | object>) => {
    const root = repo(files);
    roots.push(root);
    return checkImportGraph(root);
  };
  after(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('passes a repository that keeps every rule', () => {
    const result = check({ ...core, ...protocol, ...api });
    assert.deepEqual(result.problems, []);
    assert.equal(result.files, 7);
  });

  it('finds a circle, type-only imports included', () => {
    const { problems } = check({
      ...core,
      'libs/core/src/runtime/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'libs/core/src/runtime/b.ts': "import type { A } from './a.js';\nexport type B = A | 1;\n",
    });
    assert.equal(problems.length, 1);
    assert.match(
      problems[0] as string,
      /^import circle: libs\/core\/src\/runtime\/[ab]\.ts → libs\/core\/src\/runtime\/[ab]\.ts$/,
    );
  });

  it('finds an upward arrow between the layers of a lib', () => {
    const { problems } = check({
      ...core,
      'libs/core/src/runtime/pool.ts': "import { engine } from '../decoding/engine.js';\nexport const pool = 1;\n",
      'libs/core/src/decoding/engine.ts': 'export const engine = 1;\n',
    });
    assert.deepEqual(problems, [
      'libs/core/src/runtime/pool.ts: upward arrow from runtime/ to decoding/ (libs/core/src/decoding/engine.ts) in libs/core',
    ]);
  });

  it('keeps libs/protocol on zod and @unmask/core/options, and the options on zod', () => {
    const { problems } = check({
      ...core,
      ...protocol,
      'libs/protocol/src/index.ts': "import { engine } from '@unmask/core';\nexport { engine };\n",
      'libs/core/src/options/index.ts': "import { UnmaskError } from '../errors.js';\nexport const e = UnmaskError;\n",
    });
    assert.deepEqual(problems.sort(), [
      'libs/core/src/options/index.ts: the node-free options entry imports ../errors.js (zod and ./ only)',
      'libs/protocol/src/index.ts: libs/protocol may import zod and @unmask/core/options only, not @unmask/core',
    ]);
  });

  it('keeps tokenizers and token ids out of apps/api, and undeclared packages out of every project', () => {
    const { problems } = check({
      ...core,
      ...protocol,
      ...api,
      'apps/api/src/chat.ts': [
        "import { TextTokenizer } from '@unmask/core';",
        "import { Unmask } from '@unmask/pipeline';",
        'export const f = (u: { bundle: { tokenizer: unknown; info: { eosTokenId: number } } }) =>',
        '  [u.bundle.tokenizer, u.bundle.info.eosTokenId, TextTokenizer, Unmask];',
        '',
      ].join('\n'),
    });
    assert.deepEqual(problems.sort(), [
      'apps/api/src/chat.ts: apps/api imports TextTokenizer from @unmask/core (token-level; belongs to libs/pipeline)',
      'apps/api/src/chat.ts: apps/api uses .tokenizer (token-level; belongs to libs/pipeline)',
      'apps/api/src/chat.ts: apps/api uses eosTokenId (token-level; belongs to libs/pipeline)',
      'apps/api/src/chat.ts: imports @unmask/pipeline, which its package.json does not declare',
    ]);
  });

  it('reads static, type-only, side-effect and dynamic imports', () => {
    const lines = importsOf(
      [
        "import a, { b as c, type D } from 'x';",
        "import type { E } from './e.js';",
        "export { f } from '../f.js';",
        "import './side.js';",
        "const g = await import('g');",
      ].join('\n'),
    );
    assert.deepEqual(
      lines.map((l) => [l.spec, l.typeOnly]),
      [
        ['x', false],
        ['./e.js', true],
        ['../f.js', false],
        ['./side.js', false],
        ['g', false],
      ],
    );
    assert.deepEqual(lines[0]?.names, ['a', 'b', 'D']);
  });
});
