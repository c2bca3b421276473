#!/usr/bin/env node
// A site's own entry point: bosun plus the site's modules. Run it like bosun:
//   node my-bosun.js run site.yml -i inventory.yml --check --diff
import { main } from 'bosun';
import './line-module.js';

process.exitCode = await main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stdout.isTTY),
});
