// Interrupting `bosun run` over SSH: SIGINT (spawned CLI) exits 99, leaves no ssh process of the
// run behind, no temp file in the target directory and no channel temp dir on the hosts, and a
// file being written is either untouched or complete. Also: a request cut off by a dying channel
// never runs (it would write a truncated file).
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SshConnection } from '../../lib/executor/ssh.js';
import type { LabState } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { FIXTURES, localPidsWith, parseRecap, remote, sleep, spawnBosun, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2'];
const PLAYBOOK = path.join(FIXTURES, 'interrupt.yml');
const BIG = 48 * 1024 * 1024;

function bigFile(dir: string): { file: string; sha: string } {
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 7919) % 251;
  const file = path.join(dir, 'big.bin');
  const fd = fs.openSync(file, 'w');
  const hash = createHash('sha256');
  for (let i = 0; i < BIG / block.length; i++) {
    block[0] = i; // no two blocks alike
    fs.writeSync(fd, block);
    hash.update(block);
  }
  fs.closeSync(fd);
  return { file, sha: hash.digest('hex') };
}

/** Waits until `cond` holds or `ms` pass; returns whether it held. */
async function eventually(cond: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > until) return false;
    await sleep(200);
  }
}

/** Channel temp dirs, write temp files, and anything left of the run on the host. */
async function leftovers(lab: LabState, host: string): Promise<string> {
  const r = await remote(lab, host, 'ls -d /tmp/bosun.* /var/lib/bosun-e2e-i/.bosun-tmp.* 2>/dev/null; pgrep -fa "^sleep 4" || :', undefined, 10_000);
  return r.out.toString() + r.err;
}

async function noLeftovers(t: Test, lab: LabState, host: string): Promise<void> {
  let left = '';
  await eventually(async () => (left = await leftovers(lab, host)) === '', 10_000);
  t.equal(left, '', `${host}: no channel temp dir, no temp file in the target dir, no process of the run`);
}

async function interruptAt(t: Test, lab: LabState, argv: string[], banner: string, delayMs: number) {
  const run = spawnBosun(['run', PLAYBOOK, ...argv]);
  const seen = await eventually(() => run.stdout().includes(banner), 60_000);
  t.ok(seen, `reached ${banner}`);
  await sleep(delayMs);
  t.ok(localPidsWith(lab.keyFile).length >= HOSTS.length, 'ssh channels are up while the run goes on');
  run.child.kill('SIGINT');
  const r = await run.done;
  t.equal(r.code, 99, 'exit code 99', { err: r.err });
  t.match(r.err, /SIGINT: stopping/);
  t.same(localPidsWith(lab.keyFile), [], 'no ssh process of the run is left');
  return r;
}

t.test('SIGINT', async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'e2e-intr', subnetIndex: 25 });
  const tmp = tempDir(t, 'e2e-intr-');
  const inv = writeInventory(lab, tmp);
  const big = bigFile(tmp);

  await t.test('while a command runs', async (t) => {
    const r = await interruptAt(t, lab, ['-i', inv, '-e', `big_src=${big.file}`], 'TASK [slow step]', 1000);
    t.notMatch(r.out, /TASK \[after the slow step\]/, 'no task started after the interrupt');
    // The remote command finishes on its own; then the channel's loop sees EOF and cleans up.
    for (const h of HOSTS) await noLeftovers(t, lab, h);
  });

  await t.test('while a big file is written', async (t) => {
    await interruptAt(t, lab, ['-i', inv, '-e', `big_src=${big.file}`, '-e', 'step=2'], 'TASK [big copy]', 150);
    for (const h of HOSTS) {
      await noLeftovers(t, lab, h);
      // Untouched or whole: never a cut-off copy.
      const r = await remote(lab, h, 'f=/var/lib/bosun-e2e-i/big-2; if [ -e $f ]; then sha256sum < $f; else echo absent; fi');
      const got = r.out.toString().split(' ')[0]!.trim();
      t.ok(got === 'absent' || got === big.sha, `${h}: big-2 is absent or complete (${got.slice(0, 12)})`);
    }
  });

  await t.test('a rerun converges', async (t) => {
    const run = spawnBosun(['run', PLAYBOOK, '-i', inv, '-e', `big_src=${big.file}`, '-e', 'step=2']);
    const r = await run.done;
    t.equal(r.code, 0, 'rerun succeeds', { err: r.err });
    for (const h of HOSTS) t.match(parseRecap(r.out)[h], { failed: 0, unreachable: 0 });
  });

  await t.test('a request cut off by a dying channel never runs', async (t) => {
    const h = lab.hosts[0]!;
    const conn = new SshConnection({
      name: h.name,
      connection: 'ssh',
      address: h.ip,
      user: 'root',
      privateKeyFile: lab.keyFile,
      knownHostsFile: lab.knownHostsFile,
      commonArgs: ['-o', 'IdentitiesOnly=yes'],
    });
    t.teardown(() => conn.close());
    await conn.open();
    const pending = conn.exec('cat > /var/tmp/cut-payload; echo ran > /var/tmp/cut-ran\n', { stdin: Buffer.alloc(256 * 1024 * 1024, 97) });
    await sleep(200);
    process.kill(conn.pid!, 'SIGKILL');
    await t.rejects(pending, { code: 'E_UNREACHABLE' });
    await sleep(1000);
    const r = await remote(lab, h.name, 'ls -d /var/tmp/cut-* /tmp/bosun.* 2>/dev/null || :');
    t.notMatch(r.out.toString(), /cut-payload|cut-ran|bosun\./, 'the truncated request did not run; the channel cleaned up');
  });
});
