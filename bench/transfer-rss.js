#!/usr/bin/env node
// Peak memory of bosun moving a big file: `node bench/transfer-rss.js [MB]` (default 110; needs
// `npx tsc -p .`). One `connection: local` host, a scratch directory: copy MB of random bytes up,
// fetch them back, then the no-op rerun; each run is a separate bosun process whose own peak RSS
// comes from bench/rusage-hook.js. Streaming keeps the transfer run near the no-op one whatever
// the size (issue 16); a buffered transfer would add the file's size.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mb = Number(process.argv[2] ?? 110);
const dir = mkdtempSync(join(tmpdir(), 'bosun-xfer-'));
try {
  const fd = openSync(join(dir, 'big.bin'), 'w');
  for (let i = 0; i < mb; i++) writeSync(fd, randomBytes(1 << 20));
  closeSync(fd);
  writeFileSync(join(dir, 'inv.yml'), 'all:\n  hosts:\n    h1: { ansible_connection: local }\n');
  writeFileSync(
    join(dir, 'site.yml'),
    `- hosts: all\n  gather_facts: false\n  tasks:\n` +
      `    - copy: { src: ${dir}/big.bin, dest: ${dir}/up/ }\n` +
      `    - fetch: { src: ${dir}/up/big.bin, dest: ${dir}/back }\n`,
  );
  const run = (label) => {
    const usage = join(dir, 'rusage.json');
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', join(root, 'bench/rusage-hook.js'), join(root, 'dist/bosun.mjs'), 'run', join(dir, 'site.yml'), '-i', join(dir, 'inv.yml')], {
      env: { ...process.env, BOSUN_BENCH_RUSAGE: usage, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`${label}: bosun exited ${r.status}\n${r.stdout}${r.stderr}`);
    const { maxRssMB } = JSON.parse(readFileSync(usage, 'utf8'));
    console.log(`${label.padEnd(28)} peak RSS ${maxRssMB.toFixed(1).padStart(6)} MB   ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return maxRssMB;
  };
  const moved = run(`copy + fetch of ${mb} MB`);
  const noop = run('no-op rerun (hashes only)');
  console.log(`transfer cost: ${(moved - noop).toFixed(1)} MB of peak RSS for ${2 * mb} MB moved`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
