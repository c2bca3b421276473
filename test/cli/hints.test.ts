// Errors that read well: did-you-mean for commands and flags, the stable code for JSON consumers and
// at -v (the ERROR! line itself keeps its format), and ansible-playbook's listing format.
import t from 'tap';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.js';
import { runCommand } from '../../lib/cli/run.js';
import { flagsOf } from '../../lib/cli/hints.js';
import { BosunError, OptionsError } from '../../lib/errors.js';
import { run } from '../helpers/run.js';

async function cli(argv: string[], f: (argv: string[], io: Parameters<typeof main>[1]) => Promise<number> = main) {
  let stdout = '';
  let stderr = '';
  try {
    const code = await f(argv, { out: (s) => void (stdout += s), err: (s) => void (stderr += s), isTTY: false });
    return { code, stdout, stderr, error: undefined };
  } catch (e) {
    if (!(e instanceof BosunError)) throw e;
    return { code: e.exitCode, stdout, stderr, error: e };
  }
}

t.test('did you mean: commands and flags', async (t) => {
  const c = await cli(['invetory']);
  t.type(c.error, OptionsError);
  t.match(c.error!.oneLine(), "unknown command 'invetory' (expected run, adhoc, lab, demo, doc, role, inventory");
  t.match(c.error!.oneLine(), "(did you mean 'inventory'?)");
  const f = await cli(['run', 'x.yml', '--chek']);
  t.equal(f.code, 5);
  t.equal(f.error!.oneLine(), "Unknown option '--chek' (see bosun run --help) (did you mean '--check'?)");
  t.match((await cli(['run', 'x.yml', '--list-task'])).error!.oneLine(), "did you mean '--list-tasks'?");
  t.match((await cli(['doc', '--markdwn', 'x'])).error!.oneLine(), "did you mean '--markdown'?");
  t.match((await cli(['inventory', '--grap'])).error!.oneLine(), "did you mean '--graph'?");
  t.equal((await cli(['run', 'x.yml', '--zzzzzzzz'])).error!.hint, undefined, 'no far-fetched guess');
  t.ok(flagsOf('  -C, --check  x\n  --start-at-task NAME').includes('start-at-task'));
});

t.test('--output json: an error is an event with the stable code; -v prints the code; ERROR! unchanged', async (t) => {
  const dir = t.testdir({ 'play.yml': '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - cpy: { src: a, dest: /tmp/b }\n' });
  const j = await cli([join(dir, 'play.yml'), '--output', 'json'], runCommand);
  t.equal(j.code, 4);
  const ev = JSON.parse(j.stdout.trim()) as Record<string, unknown>;
  t.match(ev, { v: 1, event: 'error', code: 'E_UNKNOWN_MODULE', exit_code: 4, msg: /^unknown module 'cpy' \(did you mean 'copy'\?\)/, location: `${join(dir, 'play.yml')}:4:7` });
  t.ok(ev.hint === null || typeof ev.hint === 'string', 'hint: string or null');
  const v = await cli([join(dir, 'play.yml'), '-v'], runCommand);
  t.equal(v.stderr, 'error code: E_UNKNOWN_MODULE (exit 4)\n');
  const plain = await run([join(dir, 'play.yml')]);
  t.match(plain.stderr, new RegExp(`^ERROR! ${join(dir, 'play.yml').replace(/[.]/g, '\\.')}:4:7: unknown module 'cpy'`));
  t.notMatch(plain.stderr, /E_UNKNOWN_MODULE/, 'the code stays out of the default ERROR! line');
});

t.test('--list-tasks and --list-tags print what ansible-playbook prints', async (t) => {
  const dir = t.testdir({
    'play.yml': `- name: web
  hosts: localhost
  gather_facts: false
  tags: [web, deploy]
  tasks:
    - name: first
      debug: { msg: a }
      tags: [zeta, alpha]
    - debug: { msg: b }
`,
  });
  const lt = await run([join(dir, 'play.yml'), '--list-tasks']);
  t.equal(lt.code, 0);
  t.equal(
    lt.stdout,
    `\nplaybook: ${join(dir, 'play.yml')}\n\n  play #1 (localhost): web\tTAGS: [web,deploy]\n    tasks:\n      first\tTAGS: [alpha, deploy, web, zeta]\n      debug\tTAGS: [deploy, web]\n`,
  );
  const tags = await run([join(dir, 'play.yml'), '--list-tags']);
  t.equal(tags.stdout, `\nplaybook: ${join(dir, 'play.yml')}\n\n  play #1 (localhost): web\tTAGS: [web,deploy]\n      TASK TAGS: [alpha, deploy, web, zeta]\n`);
});

t.test('every error class has its own stable code', async (t) => {
  const errors = await import('../../lib/errors.js');
  const codes = new Map<string, string>();
  for (const [name, C] of Object.entries(errors)) {
    if (typeof C !== 'function' || !(C.prototype instanceof errors.BosunError || C === errors.BosunError)) continue;
    const e = new (C as typeof errors.BosunError)('m');
    t.match(e.code, /^E_[A-Z_]+$/, `${name}.code`);
    t.notOk(codes.has(e.code), `${name}: ${e.code} not shared with ${codes.get(e.code)}`);
    codes.set(e.code, name);
  }
  t.ok(codes.size >= 10);
});
