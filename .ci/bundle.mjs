#!/usr/bin/env node
// Builds dist/bosun.mjs, the `bosun` command: bin/bosun.ts and everything it imports (node_modules
// included) in one ES module. Why: Node 20 has no compile cache, and resolving, reading and compiling
// ~300 module files was the largest part of a run's start-up once YAML parsing was cached
// (lib/loaders/yaml-cache.ts). The bundle loads as one file; V8 compiles its functions lazily.
// Run after `tsc` (npm run build / .ci/setup). dist/bin/bosun.js (tsc's output) stays for the tests,
// which import lib/ directly; test/cli/bundle.test.ts runs the bundle against it.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
await build({
  absWorkingDir: root,
  entryPoints: ['bin/bosun.ts'],
  outfile: 'dist/bosun.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // node-forge and other CommonJS dependencies call require(); an ES module has none of its own
  banner: { js: "import { createRequire as __bosunRequire } from 'node:module';\nconst require = __bosunRequire(import.meta.url);" },
  sourcemap: 'linked',
  // stack traces at -vvv and internal errors point at lib/*.ts
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
});
chmodSync(`${root}dist/bosun.mjs`, 0o755);
