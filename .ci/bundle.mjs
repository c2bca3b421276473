#!/usr/bin/env node
// Builds the `bosun` command (package.json bin) in dist/bundle/:
//   bosun-program.cjs  bin/bosun.ts's program (lib/cli/entry.ts) and everything it imports,
//                      node_modules included, as one CommonJS file;
//   bosun.mjs          the launcher (bin/launch.ts), which runs that file through V8's code cache.
// Why: Node 20 has no compile cache, and reading, parsing and compiling ~300 module files was the
// largest part of a run's start-up once YAML parsing was cached (lib/loaders/yaml-cache.ts). One
// file plus a cached compile of the functions a run uses (lib/cli/code-cache.ts) cut a 3-host no-op's
// CPU from 0.40 s (ESM chunks, compiled every run) to 0.26 s. CommonJS because vm.Script is the only
// code-cache API Node 20 has; the lazy import()s stay lazy (esbuild initialises those modules on use).
// Run after `tsc` (npm run build / .ci/setup). dist/bin/bosun.js (tsc's output) stays for the tests,
// which import lib/ directly; test/cli/bin.test.ts runs the bundle against it.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
// an old build's files (the chunks of the former layout) must not linger beside the new ones
rmSync(`${root}dist/bundle`, { recursive: true, force: true });
const common = { absWorkingDir: root, bundle: true, platform: 'node', target: 'node20', legalComments: 'none', charset: 'ascii', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: ['lib/cli/entry.ts'],
  outfile: 'dist/bundle/bosun-program.cjs',
  format: 'cjs',
  // lib/ finds its package root, loads node-forge and stamps the YAML cache from import.meta: in the
  // CommonJS file these name the file itself
  define: { 'import.meta.url': '__bosunModuleUrl', 'import.meta.resolve': '__bosunResolve' },
  banner: { js: "const __bosunModuleUrl = require('node:url').pathToFileURL(__filename).href; const __bosunResolve = () => __bosunModuleUrl;" },
  // stack traces at -vvv and internal errors point at lib/*.ts
  sourcemap: 'linked',
  sourcesContent: false,
});
// esbuild escapes non-ASCII text in code (charset ascii) but keeps it in comments: escaped there too,
// the file is ASCII, which the launcher reads as a one-byte string (~1 ms, against ~11 ms for UTF-8)
const program = `${root}dist/bundle/bosun-program.cjs`;
const text = readFileSync(program, 'utf8');
writeFileSync(program, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
await build({ ...common, entryPoints: ['bin/launch.ts'], outfile: 'dist/bundle/bosun.mjs', format: 'esm' });
chmodSync(`${root}dist/bundle/bosun.mjs`, 0o755);
