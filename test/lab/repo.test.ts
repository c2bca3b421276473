// The lab's apt repository. Installing from it inside lab hosts is tested in test/lab/lab.test.ts;
// here: names, the index of an (empty) repository, the lock, errors — all without network.
import t from 'tap';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { LabError, OptionsError } from '../../lib/errors.js';
import { ensureRepo, parseSimulatedInstalls, repoPackages, repoSourceLine, validatePackageName } from '../../lib/lab/repo.js';

t.test('names and apt output', async (t) => {
  t.same(parseSimulatedInstalls('NOTE: x\nInst hello (2.10-3 Debian:12.15/oldstable [amd64])\nInst libx [1.0] (1.1 Debian [amd64])\nConf hello (2.10-3)\n'), ['hello=2.10-3', 'libx=1.1']);
  t.equal(validatePackageName('libstdc++6'), 'libstdc++6');
  t.throws(() => validatePackageName('-o'), /invalid package name '-o'/, 'an option is not a package');
  t.throws(() => validatePackageName('A'), OptionsError);
  t.equal(repoSourceLine('/r'), 'deb [trusted=yes] file:/r ./');
});

t.test('an empty repository is indexed, with the lists a host starts from', async (t) => {
  const dir = join(t.testdir({}), 'apt');
  // A lock left by a process that is gone is taken over.
  fs.mkdirSync(join(dir, '.lock'), { recursive: true });
  fs.writeFileSync(join(dir, '.lock', 'pid'), '999999999');
  t.equal(await ensureRepo([], dir), dir);
  t.same(repoPackages(dir), []);
  t.equal(fs.readFileSync(join(dir, 'Packages'), 'utf8'), '');
  t.match(fs.readFileSync(join(dir, 'Release'), 'utf8'), /^Origin: bosun-lab\n[\s\S]*SHA256:\n [0-9a-f]{64} 0 Packages\n$/);
  t.ok(fs.readdirSync(join(dir, 'lists')).some((f) => f.endsWith('_Release')), 'apt lists made from the repository');
  t.notOk(fs.existsSync(join(dir, '.lock')), 'lock released');
  t.equal(await ensureRepo([], dir), dir, 'second call: nothing to do');
  t.same(repoPackages(join(dir, 'nowhere')), []);
});

t.test('bad package names fail before anything; unknown packages fail with the reason', async (t) => {
  const dir = join(t.testdir({}), 'apt');
  await t.rejects(ensureRepo(['ok-name', 'Bad Name'], dir), OptionsError);
  t.notOk(fs.existsSync(dir), 'nothing created');
  try {
    await ensureRepo(['bosun-no-such-package-xyz'], dir);
    t.fail('an unknown package must fail');
  } catch (e) {
    t.ok(e instanceof LabError);
    t.match((e as LabError).message, /cannot resolve bosun-no-such-package-xyz on the control node/);
  }
  t.notOk(fs.existsSync(join(dir, '.lock')), 'lock released after a failure');
});
