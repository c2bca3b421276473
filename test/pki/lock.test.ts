import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withDirLock, writeFileAtomic, LOCK_FILE } from '../../lib/pki/lock.js';
import { EnvironmentError } from '../../lib/errors.js';

t.test('in-process holders take turns and the lock file holds our pid', async (t) => {
  const dir = t.testdir({});
  const events: string[] = [];
  const hold = (id: string) =>
    withDirLock(dir, async () => {
      events.push(`in ${id}`);
      t.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
      await new Promise((r) => setTimeout(r, 20));
      events.push(`out ${id}`);
      return id;
    });
  const results = await Promise.all([hold('a'), hold('b'), hold('c')]);
  t.same(results, ['a', 'b', 'c']);
  t.same(events, ['in a', 'out a', 'in b', 'out b', 'in c', 'out c'], 'never two holders at once');
  t.notOk(existsSync(join(dir, LOCK_FILE)), 'released');
});

t.test('a failing holder releases the lock for the next', async (t) => {
  const dir = t.testdir({});
  const first = withDirLock(dir, async () => {
    throw new Error('boom');
  });
  const second = withDirLock(dir, async () => 'ok');
  await t.rejects(first, /boom/);
  t.equal(await second, 'ok');
  t.notOk(existsSync(join(dir, LOCK_FILE)));
});

t.test('a live other process: wait, then fail clearly', async (t) => {
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => void sleeper.kill());
  const dir = t.testdir({ [LOCK_FILE]: `${sleeper.pid}\n` });
  const waits: string[] = [];
  const start = Date.now();
  const err = await withDirLock(dir, async () => 'never', { timeoutMs: 300, pollMs: 20, onWait: (m) => waits.push(m) }).catch(
    (e: unknown) => e,
  );
  t.type(err, EnvironmentError);
  t.match((err as EnvironmentError).message, new RegExp(`locked by process ${sleeper.pid}.*waited`));
  t.match((err as EnvironmentError).hint, /remove .*\.lock/);
  t.ok(Date.now() - start >= 280, 'waited for the timeout');
  t.equal(waits.length, 1, 'said once that it waits');
  t.ok(existsSync(join(dir, LOCK_FILE)), 'a live lock is left alone');
});

t.test('the other process finishes: we get the lock', async (t) => {
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  const dir = t.testdir({ [LOCK_FILE]: `${sleeper.pid}\n` });
  setTimeout(() => sleeper.kill(), 150);
  t.equal(await withDirLock(dir, async () => 'got it', { timeoutMs: 5000, pollMs: 20 }), 'got it');
});

t.test('a stale lock (dead pid, or our own leftover pid) is taken over', async (t) => {
  const dead = spawnSync('true').pid!;
  const dir = t.testdir({ [LOCK_FILE]: `${dead}\n` });
  t.equal(await withDirLock(dir, async () => 'ok', { timeoutMs: 200 }), 'ok');
  writeFileSync(join(dir, LOCK_FILE), `${process.pid}\n`);
  t.equal(await withDirLock(dir, async () => 'ok2', { timeoutMs: 200 }), 'ok2');
});

t.test('an unreadable (empty) lock is stale after a grace period', async (t) => {
  const dir = t.testdir({ [LOCK_FILE]: '' });
  t.equal(await withDirLock(dir, async () => 'ok', { timeoutMs: 5000, pollMs: 100 }), 'ok');
});

t.test('a directory that does not exist is an environment error', async (t) => {
  const dir = join(t.testdir({}), 'missing');
  await t.rejects(withDirLock(dir, async () => 'x'), { name: 'EnvironmentError', message: /cannot create lock file/ });
});

t.test('writeFileAtomic: content, exact mode despite umask, no temp left', async (t) => {
  const dir = t.testdir({ 'x.pem': 'old' });
  const old = process.umask(0o077);
  try {
    writeFileAtomic(join(dir, 'x.pem'), 'new', 0o644);
    writeFileAtomic(join(dir, 'k.pem'), 'secret', 0o600);
  } finally {
    process.umask(old);
  }
  t.equal(readFileSync(join(dir, 'x.pem'), 'utf8'), 'new');
  t.equal(statSync(join(dir, 'x.pem')).mode & 0o777, 0o644);
  t.equal(statSync(join(dir, 'k.pem')).mode & 0o777, 0o600);
  t.same(readdirSync(dir).sort(), ['k.pem', 'x.pem']);
  t.throws(() => writeFileAtomic(join(dir, 'nodir', 'y'), 'z', 0o600), /ENOENT/);
});
