#!/usr/bin/env node
// The shipped `bosun` (dist/bundle/bosun.mjs, built by .ci/bundle.mjs): a few lines that run the
// bundled program next to it through V8's code cache (lib/cli/code-cache.ts).
import { fileURLToPath } from 'node:url';
import { launch } from '../lib/cli/code-cache.js';

void (await launch(fileURLToPath(new URL('./bosun-program.cjs', import.meta.url)), process.argv.slice(2)));
