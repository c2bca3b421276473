#!/usr/bin/env node
// Entry point of tsc's build (dist/bin/bosun.js, the tests' CLI). The shipped `bosun` is the bundle,
// whose launcher (bin/launch.ts) calls the same start().
import { start } from '../lib/cli/entry.js';

await start(process.argv.slice(2));
