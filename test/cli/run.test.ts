// End-to-end: `bosun run` on fixture playbooks with the local connection, in temp dirs.
import t from 'tap';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, recap, treeHash, taskTitles } from '../helpers/run.js';
import { parseExtraVars, parseRunArgs } from '../../lib/cli/run.js';
import { OptionsError } from '../../lib/errors.js';

const SITE = 'test/fixtures/playbooks/site';
const site = (out: string, ...more: string[]) => run([`${SITE}/site.yml`, '-i', `${SITE}/inventory.yml`, '-e', `out=${out}`, ...more]);
const HOSTS = ['db1', 'web1', 'web2'];

t.test('site: first run changes, second run changed=0, check+diff changes nothing and shows the diff', async (t) => {
  const out = t.testdir({});
  const r1 = await site(out);
  t.equal(r1.code, 0, r1.stdout + r1.stderr);
  const rc1 = recap(r1.stdout);
  t.same(Object.keys(rc1).sort(), HOSTS);
  for (const h of HOSTS) {
    // dir, config, static, handler, extra, loop, command
    t.match(rc1[h], { changed: 7, failed: 0, unreachable: 0 }, `${h} first run`);
    t.equal(readFileSync(join(out, h, 'restarts.log'), 'utf8'), 'restarted\n', `${h}: handler ran once for two notifications`);
    t.equal(readFileSync(join(out, h, 'extra.txt'), 'utf8'), `extra for ${h}\n`);
    t.equal(readFileSync(join(out, h, 'loop-b.txt'), 'utf8'), 'body=beta\n');
    t.equal(readFileSync(join(out, h, 'static.txt'), 'utf8'), 'static file from the app role\n');
    t.ok(existsSync(join(out, h, 'created')));
  }
  // role defaults (8080) lose to host vars (db1: 5432); role templates/ and files/ are found
  t.match(readFileSync(join(out, 'web1', 'app.conf'), 'utf8'), /^# managed by bosun\nname=demo\nport=8080\nhost=web1\nfeature=metrics\nfeature=tls\n$/);
  t.match(readFileSync(join(out, 'db1', 'app.conf'), 'utf8'), /port=5432/);
  const titles = taskTitles(r1.stdout);
  // meta dependency first, role tasks before play tasks; as in Ansible, roles and tasks are one section:
  // the handler runs once, after the play's tasks; include_tasks is a task of its own (its banner, then `included:`)
  t.same(titles.slice(0, 5), ['common : host directory', 'app : config', 'app : static file', 'include extra tasks', 'extra marker']);
  t.equal(titles[titles.length - 1], 'app : restart app');
  t.equal(titles.filter((x) => x === 'app : restart app').length, 1);
  t.match(r1.stdout, /RUNNING HANDLER \[app : restart app\]/);
  // loop_control.label: the item shows as its label, not the whole mapping
  t.match(r1.stdout, /changed: \[web1\] => \(item=a\)/);
  t.notMatch(r1.stdout, /item=\{/);

  const r2 = await site(out);
  t.equal(r2.code, 0);
  for (const h of HOSTS) t.match(recap(r2.stdout)[h], { changed: 0, failed: 0 }, `${h} second run is idempotent`);
  t.notMatch(r2.stdout, /RUNNING HANDLER/, 'nothing changed: no handler');
  t.equal(readFileSync(join(out, 'web1', 'restarts.log'), 'utf8'), 'restarted\n');

  // change something by hand, then --check --diff: reports it, prints the diff, leaves the tree byte-identical
  writeFileSync(join(out, 'web2', 'loop-a.txt'), 'tampered\n');
  const before = treeHash(out);
  const r3 = await site(out, '--check', '--diff', '-e', 'app_port=9090');
  t.equal(r3.code, 0, r3.stdout);
  t.same(treeHash(out), before, 'check mode changed nothing');
  const conf = join(out, 'web1', 'app.conf');
  t.match(r3.stdout, `--- before: ${conf}\n+++ after: ${conf}\n`);
  t.match(r3.stdout, /^-port=8080$/m);
  t.match(r3.stdout, /^\+port=9090$/m);
  t.match(r3.stdout, /^-port=5432$/m, 'db1 diff too');
  t.match(r3.stdout, `--- before: ${join(out, 'web2', 'loop-a.txt')}`);
  t.match(r3.stdout, /^-tampered$/m);
  t.match(r3.stdout, /^\+body=alpha$/m);
  t.match(r3.stdout, /skipping: \[web1\] => \(skipped in check mode/, 'handler shell cannot be predicted');
  t.match(recap(r3.stdout).web2, { changed: 2, failed: 0 });
  t.match(recap(r3.stdout).web1, { changed: 1, failed: 0 });
  t.equal(readFileSync(join(out, 'web1', 'restarts.log'), 'utf8'), 'restarted\n', 'handler did not run in check mode');

  // --check without --diff prints no diff
  const r4 = await site(out, '--check', '-e', 'app_port=9090');
  t.notMatch(r4.stdout, /--- before:/);
  t.same(treeHash(out), before);
});

t.test('--check on an empty tree creates nothing', async (t) => {
  const out = t.testdir({});
  const r = await site(out, '--check');
  t.equal(r.code, 0, r.stdout);
  t.same(treeHash(out), {});
});

t.test('--output json: one event per line, versioned', async (t) => {
  const out = t.testdir({});
  const r = await site(out, '--output', 'json', '--limit', 'web1');
  t.equal(r.code, 0);
  const lines = r.stdout.trim().split('\n');
  const events = lines.map((l) => JSON.parse(l) as { v: number; event: string; [k: string]: unknown });
  for (const e of events) t.equal(e.v, 1);
  const kinds = new Set(events.map((e) => e.event));
  for (const k of ['play_start', 'task_start', 'host_result', 'recap']) t.ok(kinds.has(k), k);
  t.equal(events[0]!.event, 'play_start');
  t.same(events[0]!.hosts, ['web1']);
  const last = events.at(-1)!;
  t.equal(last.event, 'recap');
  t.equal(last.exit_code, 0);
  t.match(last.hosts, { web1: { changed: 7, failed: 0 } });
  const cfg = events.find((e) => e.event === 'task_start' && e.task === 'app : config')!;
  t.match(cfg.location, /roles\/app\/tasks\/main\.yml:1:3$/);
  const loop = events.filter((e) => e.event === 'host_result' && e.task === 'loop files');
  t.same(loop.map((e) => e.item), ['a', 'b']);
  t.notMatch(r.stdout, /PLAY RECAP/, 'no console output mixed in');
});

t.test('exit codes (in-process)', async (t) => {
  const dir = t.testdir({
    'ok.yml': '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n',
    'fail.yml': '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - fail: { msg: boom }\n    - debug: { msg: not reached }\n',
    'parse.yml': '- hosts: localhost\n  tasks:\n    - debg: { msg: hi }\n',
  });
  t.equal((await run([join(dir, 'ok.yml')])).code, 0);
  const f = await run([join(dir, 'fail.yml')]);
  t.equal(f.code, 2);
  t.match(f.stdout, /fatal: \[localhost\]: FAILED! => .*"msg": "boom"/);
  t.notMatch(f.stdout, /not reached/);
  t.match(recap(f.stdout).localhost, { failed: 1 });
  t.equal((await run([join(dir, 'parse.yml')])).code, 4);
  t.equal((await run([join(dir, 'ok.yml'), '--forks', '0'])).code, 5);
  t.equal((await run([join(dir, 'ok.yml'), '--bogus'])).code, 5);
  t.equal((await run([join(dir, 'ok.yml'), '--output', 'xml'])).code, 5);
  t.equal((await run([])).code, 5);
  t.equal((await run([join(dir, 'nope.yml')])).code, 1, 'a missing playbook exits 1, as ansible-playbook 2.14');
  t.equal((await run([join(dir, 'ok.yml'), '-i', join(dir, 'nope.ini')])).code, 5);
  const help = await run(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /usage: bosun run PLAYBOOK/);
});

t.test('secrets: no_log, secret arguments, private keys', async (t) => {
  const key = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEAsEcReTkEyMaTeRiAlNeVeRsHoWnAbCdEf0123456789', '-----END RSA PRIVATE KEY-----'].join('\n');
  const dir = t.testdir({
    'out': {},
    'nolog.yml': [
      '- hosts: localhost',
      '  gather_facts: false',
      '  tasks:',
      '    - name: hidden',
      '      shell: echo topsecret-nolog-value',
      '      no_log: true',
      '      register: hidden',
      '    - name: hidden failure',
      '      shell: "echo topsecret-nolog-failure; exit 3"',
      '      no_log: true',
      '      ignore_errors: true',
      '    - name: visible',
      '      shell: echo visible-marker',
      '',
    ].join('\n'),
    'secret.yml': [
      '- hosts: localhost',
      '  gather_facts: false',
      '  tasks:',
      '    - name: etcd with password',
      '      etcdctl:',
      '        op: member_list',
      '        endpoints: http://127.0.0.1:1',
      '        password: "{{ pw }}"',
      '        timeout: 1',
      '',
    ].join('\n'),
    'key.yml': [
      '- hosts: localhost',
      '  gather_facts: false',
      '  tasks:',
      '    - name: install key',
      '      copy:',
      '        dest: "{{ out }}/key.pem"',
      '        content: "{{ key }}"',
      '        mode: "0600"',
      '',
    ].join('\n'),
  });
  const nl = await run([join(dir, 'nolog.yml'), '-vv']);
  t.equal(nl.code, 0, nl.stdout);
  t.notMatch(nl.stdout, /topsecret/);
  const nlj = await run([join(dir, 'nolog.yml'), '--output', 'json']);
  t.notMatch(nlj.stdout, /topsecret/);
  // At -vvv the connection trace prints each remote request, including a no_log task's command line.
  const nl3 = await run([join(dir, 'nolog.yml'), '-vvv']);
  t.notMatch(nl3.stdout, /topsecret/, 'no_log hides the task command in the -vvv trace');
  t.match(nl3.stdout, /run: .*visible-marker/, 'the trace is on for other tasks');
  t.match(nl.stdout, /censored/);
  // ansible-playbook 2.14 on this playbook: ok=3 changed=3 ignored=1 (an ignored failure that changed counts as changed).
  t.match(recap(nl.stdout).localhost, { ok: 3, ignored: 1, failed: 0, changed: 3 });

  const pw = 'Pa55-w0rd-NEVER-printed';
  const s = await run([join(dir, 'secret.yml'), '-vvv', '-e', `pw=${pw}`]);
  t.equal(s.code, 2, 'etcd is not there: the task fails');
  t.notMatch(s.stdout + s.stderr, pw);
  const sj = await run([join(dir, 'secret.yml'), '-vvv', '--output', 'json', '-e', `pw=${pw}`]);
  t.notMatch(sj.stdout + sj.stderr, pw);

  const out = join(dir, 'out');
  const varsFile = join(dir, 'key.json');
  writeFileSync(varsFile, JSON.stringify({ key: key + '\n', out }));
  const k1 = await run([join(dir, 'key.yml'), '-vvv', '--diff', '-e', `@${varsFile}`]);
  t.equal(k1.code, 0, k1.stdout);
  t.equal(readFileSync(join(out, 'key.pem'), 'utf8'), key + '\n');
  t.notMatch(k1.stdout, /MIIEowIBAAKCAQEA/);
  // replace the key: the diff says so without showing either key
  writeFileSync(varsFile, JSON.stringify({ key: key.replace('0123456789', '9876543210') + '\n', out }));
  const k2 = await run([join(dir, 'key.yml'), '-vvv', '--diff', '-e', `@${varsFile}`]);
  t.equal(k2.code, 0);
  t.match(k2.stdout, `--- before: ${join(out, 'key.pem')}`);
  t.match(k2.stdout, /private key \(content not shown\)/);
  t.notMatch(k2.stdout, /MIIEowIBAAKCAQEA/);
});

t.test('--list-hosts, --list-tasks, --syntax-check print and touch nothing', async (t) => {
  const out = t.testdir({});
  const lh = await site(out, '--list-hosts');
  t.equal(lh.code, 0);
  t.match(lh.stdout, /hosts \(3\):\n\s+web1\n\s+web2\n\s+db1\n/);
  const lhl = await site(out, '--list-hosts', '--limit', 'db');
  t.match(lhl.stdout, /hosts \(1\):\n\s+db1\n/);
  const lt = await site(out, '--list-tasks');
  t.equal(lt.code, 0);
  for (const name of ['common : host directory', 'app : config', 'app : static file', 'include extra tasks', 'loop files', 'check read back']) {
    t.match(lt.stdout, name);
  }
  // as ansible-playbook: a dynamic include is listed as itself, not what it would include
  t.notMatch(lt.stdout, 'extra marker');
  t.notMatch(lt.stdout, /restart app/, 'handlers are not listed');
  const sc = await site(out, '--syntax-check');
  t.equal(sc.code, 0);
  t.match(sc.stdout, /playbook: .*site\.yml/);
  t.same(treeHash(out), {}, 'nothing was written');
  t.notMatch(lh.stdout + lt.stdout + sc.stdout, /PLAY RECAP/);
});

t.test('option parsing', async (t) => {
  const o = parseRunArgs(['pb.yml', '-i', 'inv.yml', '-C', '-D', '-e', 'a=1 b="x y"', '-e', '{"c": [1]}', '-t', 'a,b', '-t', 'c', '--skip-tags', 'x', '-l', 'web', '-f', '3', '-vv']);
  t.match(o, { playbook: 'pb.yml', inventory: 'inv.yml', check: true, diff: true, limit: 'web', forks: 3, verbosity: 2 });
  t.same(o.extraVars, { a: '1', b: 'x y', c: [1] });
  t.same(o.tags, ['a', 'b', 'c']);
  t.same(o.skipTags, ['x']);
  t.throws(() => parseExtraVars('=oops'), OptionsError);
  t.throws(() => parseExtraVars('{"a": '), OptionsError);
  t.throws(() => parseExtraVars('[1, 2]'), OptionsError);
  t.throws(() => parseExtraVars('@/nonexistent/vars.yml'), OptionsError);
  t.throws(() => parseRunArgs(['a.yml', 'b.yml']), OptionsError);
  // Several -i are merged in order, as ansible-playbook does.
  t.same(parseRunArgs(['a.yml', '-i', 'x', '-i', 'y']).inventories, ['x', 'y']);
  t.equal(parseRunArgs(['a.yml', '-i', 'x', '-i', 'y']).inventory, 'x');
});
