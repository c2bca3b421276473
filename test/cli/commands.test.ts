// The command table drives help, suggestions and dispatch: nothing can be in one and not the others.
import t from 'tap';
import { COMMANDS, commandNames, findCommand, helpText } from '../../lib/cli/commands.js';
import { main } from '../../lib/cli/main.js';
import { OptionsError } from '../../lib/errors.js';

const io = () => {
  let out = '';
  return { io: { out: (s: string) => void (out += s), err: () => {}, isTTY: false }, get out() { return out; } };
};

t.test('every command is in the help, the suggestions and dispatch', async (t) => {
  const help = helpText();
  for (const c of COMMANDS) {
    t.ok(commandNames().includes(c.name), `${c.name} suggested`);
    t.equal(findCommand(c.name), c);
    for (const a of c.aliases ?? []) t.equal(findCommand(a), c, `${a} → ${c.name}`);
    for (const h of c.help) t.ok(help.includes(`  bosun ${h}\n`), `${c.name} in the help`);
    t.type(await c.load(), 'function', `${c.name} loads`);
  }
  t.match(help, /bosun vault encrypt/);
});

t.test('did you mean: vault is suggested (it was missing before the table)', async (t) => {
  const e = await main(['vualt'], io().io).catch((x: unknown) => x);
  t.type(e, OptionsError);
  t.match((e as OptionsError).oneLine(), /unknown command 'vualt' \(expected run, adhoc, lab, demo, doc, role, inventory, vault, version, help;.*did you mean 'vault'\?/);
});

t.test('dispatch: help, version, a playbook path as `run`', async (t) => {
  const h = io();
  t.equal(await main([], h.io), 0);
  t.equal(h.out, helpText());
  const v = io();
  t.equal(await main(['--version'], v.io), 0);
  t.match(v.out, /^bosun \d+\.\d+\.\d+\n$/);
  const r = io();
  t.equal(await main(['run', '--help'], r.io), 0);
  const p = io();
  t.equal(await main(['site.yml', '--help'], p.io), 0, 'bosun site.yml = bosun run site.yml');
  t.equal(p.out, r.out);
});
