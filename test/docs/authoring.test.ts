// docs/modules/authoring.md's worked example really works: the `line` module of
// docs/examples/line-module.ts, registered from outside the tree against the built package
// ('bosun' = dist/), runs in a playbook through main(): --check changes nothing, a run adds the
// line once, a rerun is ok, and the shared file attributes apply.
import t from 'tap';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binPath, recap } from '../helpers/run.js';

t.test('a module from outside the tree, through the package entry point', { skip: existsSync(binPath) ? false : 'not built' }, async (t) => {
  await import('../../docs/examples/line-module.js');
  const { main } = await import('bosun');
  const dir = t.testdir({});
  const file = join(dir, 'environment');
  writeFileSync(file, 'A=1');
  writeFileSync(
    join(dir, 'pb.yml'),
    `- hosts: localhost\n  gather_facts: false\n  tasks:\n    - line: { path: "${file}", line: "ETCDCTL_API=3", mode: "0600" }\n`,
  );
  const bosun = async (...args: string[]) => {
    let out = '';
    const code = await main(['run', join(dir, 'pb.yml'), ...args], { out: (s: string) => void (out += s), err: (s: string) => void (out += s), isTTY: false });
    return { code, out };
  };
  const check = await bosun('--check', '--diff');
  t.equal(check.code, 0, check.out);
  t.match(check.out, /\+ETCDCTL_API=3/, 'the diff shows the line');
  t.equal(readFileSync(file, 'utf8'), 'A=1', 'check mode changed nothing');
  const live = await bosun();
  t.match(recap(live.out).localhost, { changed: 1, failed: 0 });
  t.equal(readFileSync(file, 'utf8'), 'A=1\nETCDCTL_API=3\n');
  t.equal(statSync(file).mode & 0o777, 0o600, 'mode from the shared file attributes');
  const again = await bosun();
  t.match(recap(again.out).localhost, { changed: 0, ok: 1 });
  const doc = await (async () => {
    let out = '';
    await main(['doc', 'line'], { out: (s: string) => void (out += s), err: () => {}, isTTY: false });
    return out;
  })();
  t.match(doc, /Ensure a line is present/, 'bosun doc knows it');
});
