#!/usr/bin/env node
// Builds dist/bundle/bosun.mjs, the `bosun` command: bin/bosun.ts and everything it imports (node_modules
// included) as an entry module plus one chunk per lazily imported part (a module, a command). Why: Node 20 has no compile cache, and resolving, reading and compiling
// ~300 module files was the largest part of a run's start-up once YAML parsing was cached
// (lib/loaders/yaml-cache.ts). A run loads a handful of files instead; V8 compiles their functions lazily.
// Run after `tsc` (npm run build / .ci/setup). dist/bin/bosun.js (tsc's output) stays for the tests,
// which import lib/ directly; test/cli/bundle.test.ts runs the bundle against it.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
await build({
  absWorkingDir: root,
  entryPoints: ['bin/bosun.ts'],
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  entryNames: 'bosun',
  // the lazy import()s (commands, modules, connections) become chunks loaded on first use, so
  // `bosun --version` still reads a few kB, not the whole program
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
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
chmodSync(`${root}dist/bundle/bosun.mjs`, 0o755);
