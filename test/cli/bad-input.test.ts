// The bad-input catalogue (test/fixtures/bad/NAME/): each case is a small playbook tree that must fail
// with one clear line naming file:line:col, the right exit code, and — for load-time errors — before
// anything ran. Every playbook's first task would touch OUT/ran; OUT must stay empty.
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run, treeHash } from '../helpers/run.js';

const BAD = resolve('test/fixtures/bad');

interface Case {
  /** Directory under test/fixtures/bad. */
  name: string;
  /** Substring of the one-line message. */
  msg: string | RegExp;
  /** `FILE:LINE:COL` relative to the case dir; null when no file is involved. */
  loc: string | null;
  code: number;
  args?: string[];
  /** Found at run time: a failed task (exit 2) reported in the host result, not as ERROR!. */
  runtime?: boolean;
  /** Warning lines printed before the ERROR! line (ansible-playbook prints the same ones). */
  warnings?: string[];
}

const cases: Case[] = [
  { name: 'yaml-syntax', msg: 'YAML syntax error: Missing closing "quote', loc: 'play.yml:8:1', code: 4 },
  { name: 'tabs', msg: 'Tabs are not allowed as indentation', loc: 'play.yml:8:1', code: 4 },
  { name: 'duplicate-keys', msg: 'Map keys must be unique', loc: 'play.yml:7:7', code: 4 },
  { name: 'no-hosts', msg: "play has no 'hosts:'", loc: 'play.yml:1:3', code: 4 },
  { name: 'two-modules', msg: "task has two modules ('copy' and 'file')", loc: 'play.yml:8:7', code: 4 },
  { name: 'no-module', msg: /task 'nothing to do' has no module \(expected one of: (\w+, )*assert, (\w+, )*copy, /, loc: 'play.yml:6:7', code: 4 },
  { name: 'unknown-module', msg: "unknown module 'cpy' (did you mean 'copy'?)", loc: 'play.yml:7:7', code: 4 },
  { name: 'unknown-argument', msg: "unknown argument 'dets' for module 'copy' (did you mean 'dest'?); valid: backup, content, dest", loc: 'play.yml:9:9', code: 4 },
  { name: 'mistyped-argument', msg: 'mode must be octal: write 0644 or "0644"; got the decimal number 644', loc: 'play.yml:10:9', code: 4 },
  { name: 'mistyped-bool', msg: "argument 'force' of module 'copy' must be a boolean", loc: 'play.yml:10:9', code: 4 },
  { name: 'missing-choice', msg: "argument 'state' of module 'file' must be one of: file, directory, absent, link, touch; got 'folder'", loc: 'play.yml:7:36', code: 4 },
  { name: 'missing-required', msg: "missing required argument 'dest' for module 'copy'", loc: 'play.yml:7:7', code: 4 },
  { name: 'undefined-variable', msg: "undefined variable 'no_such_var' in \"{{ no_such_var }}\"", loc: 'play.yml:9:9', code: 4 },
  { name: 'bad-template-syntax', msg: 'template syntax error in "{{#if x}}no end"', loc: 'play.yml:7:16', code: 4 },
  { name: 'missing-role', msg: "role 'no_such_role' not found (searched: ", loc: 'play.yml:4:7', code: 4 },
  { name: 'missing-vars-file', msg: 'vars file not found: vars/nope.yml', loc: 'play.yml:4:7', code: 4 },
  { name: 'role-cycle', msg: 'role dependency cycle: a -> b -> a', loc: 'roles/b/meta/main.yml:2:5', code: 4 },
  { name: 'bad-host-pattern', msg: "invalid host pattern 'node[': unclosed '['", loc: 'play.yml:1:3', code: 4 },
  { name: 'bad-extra-vars', msg: '-e "{\\"a\\": " does not parse', loc: null, code: 5, args: ['-e', '{"a": '] },
  { name: 'limit-unknown-group', msg: "--limit nosuch: no hosts to target (no host or group matches 'nosuch')", loc: null, code: 1, args: ['-i', 'inventory.yml', '--limit', 'nosuch'], warnings: ['[WARNING]: Could not match supplied host pattern, ignoring: nosuch'] },
  { name: 'bad-inventory', msg: 'YAML syntax error: Flow map', loc: 'inventory.yml:4:1', code: 4, args: ['-i', 'inventory.yml'] },
  { name: 'notify-unknown-handler', msg: "notify: no handler named 'no such handler' in this play", loc: 'play.yml:6:7', code: 4 },
  { name: 'unknown-play-keyword', msg: "unknown play keyword 'taks' (did you mean 'tasks'?)", loc: 'play.yml:3:3', code: 4 },
  { name: 'unknown-task-keyword', msg: "unknown task keyword 'whn' (did you mean 'when'?)", loc: 'play.yml:8:7', code: 4 },
  { name: 'binary-junk', msg: 'not a text file (contains NUL bytes); expected YAML', loc: 'play.yml:1:1', code: 4 },
  { name: 'empty-file', msg: 'empty playbook, nothing to do', loc: 'play.yml:1:1', code: 4 },
  { name: 'only-comments', msg: 'empty playbook, nothing to do', loc: 'play.yml:1:1', code: 4 },
  { name: 'list-for-mapping', msg: 'vars must be a mapping; got a list', loc: 'play.yml:3:3', code: 4 },
  { name: 'mapping-for-list', msg: 'a playbook must be a list of plays; got a mapping', loc: 'play.yml:1:1', code: 4 },
  { name: 'include-missing', msg: 'include_tasks file not found: nope.yml', loc: 'play.yml:6:7', code: 4 },
  { name: 'import-playbook-missing', msg: 'imported playbook not found: other.yml', loc: 'play.yml:1:3', code: 4 },
  { name: 'bad-serial', msg: 'serial must be a positive integer, a percentage like "30%", or a list of them; got the string "lots"', loc: 'play.yml:3:3', code: 4 },
  { name: 'bad-when', msg: 'when must be an expression string, a boolean, a number or a list of them; got a mapping', loc: 'play.yml:8:7', code: 4 },
  { name: 'bad-loop', msg: 'loop must be a list or a "{{ variable }}" that is one; got the number 5', loc: 'play.yml:8:7', code: 4 },
  { name: 'bad-meta', msg: 'meta: expects one of flush_handlers, noop, end_play, end_host, end_batch, clear_facts, refresh_inventory, reset_connection; got the string "flush_handler"', loc: 'play.yml:6:7', code: 4 },
  { name: 'bad-register', msg: "register must be a variable name; got 'my-result'", loc: 'play.yml:8:7', code: 4 },
  { name: 'bad-throttle', msg: 'throttle must be 0 (no limit) or a positive integer', loc: 'play.yml:8:7', code: 4 },
  { name: 'vault-no-password', msg: 'vault-encrypted value but no vault password was given (use --vault-password-file FILE', loc: 'play.yml:5:18', code: 1 },
  { name: 'alias-bomb', msg: 'YAML aliases expand to more than 100000 values', loc: 'play.yml:9:40', code: 4 },
  { name: 'include-cycle', msg: 'import_tasks cycle: play.yml -> a.yml -> b.yml -> a.yml', loc: 'b.yml:1:3', code: 4 },
  // Template files with a literal src are read and checked before anything runs.
  { name: 'missing-template', msg: "template 'nope.hbs' not found", loc: 'play.yml:5:19', code: 4 },
  { name: 'undefined-in-template', msg: "undefined variable 'not_defined_anywhere'", loc: 'templates/t.hbs:2:10', code: 4 },
];

t.test('every fixture dir is in the table', async (t) => {
  const dirs = readdirSync(BAD).sort();
  t.same(dirs, cases.map((c) => c.name).sort());
  t.ok(cases.length >= 25);
});

for (const c of cases) {
  t.test(c.name, async (t) => {
    const dir = join(BAD, c.name);
    const out = t.testdir({});
    const args = (c.args ?? []).map((a) => (a.endsWith('.yml') && existsSync(join(dir, a)) ? join(dir, a) : a));
    const r = await run([join(dir, 'play.yml'), '-e', `out=${out}`, ...args]);
    t.equal(r.code, c.code, 'exit code');
    t.same(treeHash(out), {}, 'nothing ran');
    if (c.runtime) {
      t.equal(r.stderr, '');
      const fatal = r.stdout.split('\n').filter((l) => l.startsWith('fatal: [localhost]: FAILED!'));
      t.equal(fatal.length, 1, r.stdout);
      t.match(fatal[0], c.msg);
      if (c.loc) t.match(fatal[0], `${join(dir, c.loc)}: `);
      t.notMatch(r.stdout, /TASK \[sentinel\]/, 'the failed host ran nothing after it');
      return;
    }
    t.equal(r.stdout, '', 'nothing printed on stdout');
    const all = r.stderr.trimEnd().split('\n');
    const warnings = c.warnings ?? [];
    t.same(all.slice(0, warnings.length), warnings, 'the warnings ansible-playbook prints too');
    const lines = all.slice(warnings.length);
    t.equal(lines.length, 1, 'one line');
    t.match(lines[0], /^ERROR! /);
    t.match(lines[0], c.msg);
    if (c.loc) t.match(lines[0], `ERROR! ${join(dir, c.loc)}: `, 'file:line:col first');
    else t.notMatch(lines[0], /\.yml:\d+:\d+/);
  });
}
