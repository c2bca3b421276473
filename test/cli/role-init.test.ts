// bosun role init: the scaffold's layout, refusing to overwrite, and that the scaffold is a working role
// (passes --syntax-check, converges on the local host, second run changed=0).
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.js';
import { initRole } from '../../lib/cli/role-init.js';
import { OptionsError } from '../../lib/errors.js';
import { run, recap } from '../helpers/run.js';

async function bosun(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(argv, { out: (s) => void (out += s), err: () => {}, isTTY: false });
  return { code, out };
}

t.test('scaffold layout, and refusal to overwrite', async (t) => {
  const dir = t.testdir({});
  const roles = join(dir, 'roles');
  const { code, out } = await bosun(['role', 'init', 'web_app', '--path', roles]);
  t.equal(code, 0);
  t.match(out, 'created role web_app');
  for (const f of ['tasks/main.yml', 'handlers/main.yml', 'defaults/main.yml', 'vars/main.yml', 'templates/web_app.conf.hbs', 'files/.gitkeep', 'meta/main.yml', 'README.md', 'tests/lab.yml']) {
    t.ok(existsSync(join(roles, 'web_app', f)), f);
  }
  const readme = readFileSync(join(roles, 'web_app', 'README.md'), 'utf8');
  t.match(readme, 'bosun lab up 2');
  t.match(readme, /bosun run \S*web_app\/tests\/lab\.yml -i lab\.yml --roles-path \S+/);
  // a file edited by the user must survive a second init
  writeFileSync(join(roles, 'web_app', 'tasks', 'main.yml'), '# mine\n');
  const again = await bosun(['role', 'init', 'web_app', '--path', roles]).catch((e: unknown) => e);
  t.type(again, OptionsError);
  t.match((again as OptionsError).message, 'already exists');
  t.equal(readFileSync(join(roles, 'web_app', 'tasks', 'main.yml'), 'utf8'), '# mine\n');
  t.throws(() => initRole('Bad-Name', roles), OptionsError);
  t.throws(() => initRole('../x', roles), OptionsError);
});

t.test('the scaffold passes --syntax-check and converges (then changed=0)', async (t) => {
  const dir = t.testdir({ 'inv.yml': 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n' });
  const roles = join(dir, 'roles');
  initRole('demo_role', roles);
  const pb = join(roles, 'demo_role', 'tests', 'lab.yml');
  const syn = await run([pb, '--roles-path', roles, '--syntax-check']);
  t.equal(syn.code, 0, syn.stderr);
  t.match(syn.stdout, 'playbook: ');
  const conf = join(dir, 'out.conf');
  const args = [pb, '-i', join(dir, 'inv.yml'), '--roles-path', roles, '-e', `demo_role_config_path=${conf}`];
  const chk = await run([...args, '--check']);
  t.equal(chk.code, 0, chk.stdout);
  t.notOk(existsSync(conf), 'check mode wrote nothing');
  const first = await run(args);
  t.equal(first.code, 0, first.stdout);
  t.match(readFileSync(conf, 'utf8'), 'greeting=hello from demo_role\n');
  t.match(first.stdout, 'RUNNING HANDLER [demo_role : demo_role configuration changed]');
  const second = await run(args);
  t.equal(second.code, 0);
  t.equal(recap(second.stdout).localhost?.changed, 0, 'second run changes nothing');
});
