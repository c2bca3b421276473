// Two `bosun run` processes issuing certificates into one CA directory at the same time: the CA
// is created once, never corrupted, every leaf verifies against it; a run that meets a lock held
// by another live process waits for it, and proceeds once that process is gone.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnBosun } from '../fixtures/e2e/harness.js';

const PLAY = `- hosts: localhost
  gather_facts: false
  tasks:
    - name: issue
      cert:
        dir: "{{ ca_dir }}"
        name: "{{ prefix }}-{{ item }}"
        sans: ["{{ prefix }}-{{ item }}.sec.test", "127.0.0.1"]
      loop: [1, 2, 3, 4]
    - name: shared leaf, issued by both runs
      cert: { dir: "{{ ca_dir }}", name: shared, sans: [shared.sec.test] }
`;

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

function verifyCa(t: Test, dir: string, expectLeaves: string[]): void {
  const files = readdirSync(dir).sort();
  t.same(files.filter((f) => f.startsWith('ca')), ['ca-key.pem', 'ca.pem'], 'exactly one CA, no backup of a replaced one');
  t.same(files.filter((f) => f.startsWith('.')), [], 'no lock or temp file left');
  const ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
  t.equal(ca.match(/BEGIN CERTIFICATE/g)?.length, 1, 'ca.pem holds one certificate');
  for (const name of expectLeaves) {
    t.ok(existsSync(join(dir, `${name}-key.pem`)), `${name}-key.pem`);
    if (!haveOpenssl) continue;
    const v = spawnSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, `${name}.pem`)], { encoding: 'utf8' });
    t.equal(v.status, 0, `${name}.pem verifies: ${v.stdout}${v.stderr}`);
    // the key belongs to the certificate
    const pub = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' }).stdout;
    t.equal(pub(['pkey', '-in', join(dir, `${name}-key.pem`), '-pubout']), pub(['x509', '-in', join(dir, `${name}.pem`), '-noout', '-pubkey']), `${name}: key matches`);
  }
}

t.test('two runs at once against one CA directory', async (t) => {
  const dir = t.testdir({ 'play.yml': PLAY });
  const ca = join(dir, 'ca');
  const run = (prefix: string) => spawnBosun([join(dir, 'play.yml'), '-v', '-e', `ca_dir=${ca}`, '-e', `prefix=${prefix}`]).done;
  const [a, b] = await Promise.all([run('a'), run('b')]);
  t.equal(a.code, 0, a.out + a.err);
  t.equal(b.code, 0, b.out + b.err);
  const waited = [a, b].filter((r) => r.out.includes('waiting for lock')).length;
  t.comment(`runs that waited for the other's lock: ${waited}`);
  verifyCa(t, ca, ['a-1', 'a-2', 'a-3', 'a-4', 'b-1', 'b-2', 'b-3', 'b-4', 'shared']);
});

t.test('a lock held by a live process: the run waits, then proceeds when it is gone', async (t) => {
  const dir = t.testdir({ 'play.yml': PLAY, ca: {} });
  const ca = join(dir, 'ca');
  const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
  t.teardown(() => void holder.kill());
  writeFileSync(join(ca, '.lock'), `${holder.pid}\n`);
  const r = spawnBosun([join(dir, 'play.yml'), '-v', '-e', `ca_dir=${ca}`, '-e', 'prefix=w']);
  // Node + the TS loader take a few seconds to start (minutes on a loaded machine: the wait ends as
  // soon as the line shows); then the run must sit on the lock.
  const t0 = Date.now();
  while (!r.stdout().includes('waiting for lock') && Date.now() - t0 < 300_000) await sleep(100);
  t.match(r.stdout(), new RegExp(`waiting for lock ${join(ca, '.lock')} held by process ${holder.pid}`));
  await sleep(1000);
  t.same(readdirSync(ca), ['.lock'], 'nothing written while the other process holds the lock');
  holder.kill();
  const done = await r.done;
  t.equal(done.code, 0, done.out + done.err);
  verifyCa(t, ca, ['w-1', 'w-4', 'shared']);
});
