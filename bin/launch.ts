#!/usr/bin/env node
// The shipped `bosun` (dist/bundle/bosun.mjs, built by .ci/bundle.mjs): a few lines that run the
// bundled program next to it through V8's code cache (lib/cli/code-cache.ts); a playbook run with
// TurboFan deferred (lib/cli/v8-tiering.ts).
import { fileURLToPath } from 'node:url';
import { launch, runKind } from '../lib/cli/code-cache.js';
import { deferOptimisingCompiler } from '../lib/cli/v8-tiering.js';

const argv = process.argv.slice(2);
if (runKind(argv) === 'run') deferOptimisingCompiler();
void (await launch(fileURLToPath(new URL('./bosun-program.cjs', import.meta.url)), argv));
