// debconf against recorded debconf-show output (never the control node's own database): Ansible's
// parsing and comparisons (booleans case-insensitive, strings and multiselect exact, a question
// not shown is a change), the line fed to debconf-set-selections on stdin, and a password that
// never reaches a script text or the output. Live, against Ansible, on lab hosts: test/e2e/edit-modules.test.ts.
import t from 'tap';
import mod, { parseSelections, type DebconfArgs } from '../../lib/modules/debconf.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { ScriptedConnection } from '../helpers/scripted-conn.js';

const args = (a: Record<string, unknown>): DebconfArgs => {
  const v = validateArgs(mod, a) as unknown as DebconfArgs;
  mod.validate!(v);
  return v;
};

const SHOW = '* tzdata/Areas: Etc\n  tzdata/Zones/Etc: UTC\n  openssh-server/permit-root-login: true\n  locales/locales_to_be_generated: en_US.UTF-8 UTF-8, fr_FR.UTF-8 UTF-8\n  pkg/empty:\n';

function conn(show = SHOW, pw = 'pw=none'): ScriptedConnection {
  return new ScriptedConnection([
    { label: 'debconf:read', reply: (s) => ({ stdout: show + '\n' + (/perl/.test(s) ? `@@bosun-password\n${pw}\n` : '') }) },
    { label: 'debconf:set', reply: { stdout: '' } },
  ]);
}

async function run(a: Record<string, unknown>, c = conn(), opts: { check?: boolean; diff?: boolean } = {}) {
  const ctx = { ...fakeContext(opts), conn: c, control: c };
  const r = await runTask(mod, ctx, args(a));
  return { r, c, ctx };
}

t.test("debconf-show's lines as Ansible reads them", async (t) => {
  t.same(parseSelections(SHOW), {
    'tzdata/Areas': 'Etc',
    'tzdata/Zones/Etc': 'UTC',
    'openssh-server/permit-root-login': 'true',
    'locales/locales_to_be_generated': 'en_US.UTF-8 UTF-8, fr_FR.UTF-8 UTF-8',
    'pkg/empty': '',
  });
});

t.test('bad arguments', async (t) => {
  t.throws(() => args({ name: 'tzdata', question: 'tzdata/Areas', value: 'Europe' }), /required together: question, vtype, value/);
  t.throws(() => args({ name: 'tzdata', question: 'tzdata/Areas', vtype: 'radio', value: 'x' }), /must be one of/);
  t.equal(args({ pkg: 'tzdata', selection: 'tzdata/Areas', vtype: 'select', answer: 'Etc' }).question, 'tzdata/Areas', 'aliases');
});

t.test('same values: no change, one read-only request', async (t) => {
  for (const a of [
    { question: 'tzdata/Areas', vtype: 'select', value: 'Etc' },
    { question: 'openssh-server/permit-root-login', vtype: 'boolean', value: 'True' },
    { question: 'locales/locales_to_be_generated', vtype: 'multiselect', value: 'en_US.UTF-8 UTF-8, fr_FR.UTF-8 UTF-8' },
    { question: 'pkg/empty', vtype: 'string', value: '' },
  ]) {
    const { r, c } = await run({ name: 'tzdata', ...a });
    t.equal(r.outcome.changed, false, `${a.question}: unchanged`);
    t.same(c.sent.map((s) => [s.label, s.readOnly]), [['debconf:read', true]]);
    t.equal((r.outcome.result?.current as Record<string, string>)['tzdata/Areas'], 'Etc', 'current: every answer of the package');
  }
});

t.test('a change: the line on stdin, -u for unseen, previous and current, the diff', async (t) => {
  const { r, c } = await run({ name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Europe', unseen: true }, conn(), { diff: true });
  t.equal(r.outcome.changed, true);
  t.same(r.outcome.result, { current: { 'tzdata/Areas': 'Europe' }, previous: { 'tzdata/Areas': 'Etc' } });
  t.equal(c.sent[1]!.script, 'debconf-set-selections -u\n');
  t.equal(c.sent[1]!.stdin, 'tzdata tzdata/Areas select Europe\n');
  t.equal(r.outcome.diff?.[0]?.before, '{\n    "tzdata/Areas": "Etc"\n}\n');
  t.equal(r.outcome.diff?.[0]?.after, '{\n    "tzdata/Areas": "Europe"\n}\n');
  // multiselect compares as the string it is (Ansible 2.14): another order is a change
  const m = await run({ name: 'locales', question: 'locales/locales_to_be_generated', vtype: 'multiselect', value: 'fr_FR.UTF-8 UTF-8, en_US.UTF-8 UTF-8' });
  t.equal(m.r.outcome.changed, true);
  // a question debconf-show does not list is always set
  const n = await run({ name: 'tzdata', question: 'tzdata/Other', vtype: 'boolean', value: 'True' });
  t.equal(n.r.outcome.changed, true);
  t.same(n.r.outcome.result?.previous, { 'tzdata/Other': '' });
  t.equal(n.c.sent[1]!.stdin, 'tzdata tzdata/Other boolean true\n', "True becomes debconf's true");
  t.equal(n.c.sent[1]!.script, 'debconf-set-selections\n');
});

t.test('check mode: the change predicted, nothing set', async (t) => {
  const { r, c } = await run({ name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Europe' }, conn(), { check: true });
  t.equal(r.outcome.changed, true);
  t.same(c.sent.map((s) => s.label), ['debconf:read']);
});

t.test('a password: stdin only, compared on the host, masked', async (t) => {
  const PW = 'S3cret pass';
  const a = { name: 'mysql-server', question: 'mysql-server/root_password', vtype: 'password', value: PW };
  const show = '  mysql-server/root_password: (password omitted)\n';
  const same = await run(a, conn(show, 'pw=same'));
  t.equal(same.r.outcome.changed, false, 'the stored password is the wanted one: no change');
  t.notMatch(same.c.sent[0]!.script, PW, 'not in the read script');
  t.equal(same.c.sent[0]!.stdin, `${PW}\n`, 'on its stdin');
  t.same(same.c.sent[0]!.secrets, [PW], 'and listed for masking');

  const diff = await run(a, conn(show, 'pw=differs'), { diff: true });
  t.equal(diff.r.outcome.changed, true);
  t.ok(diff.ctx.secrets.includes(PW), 'registered as a secret');
  t.equal(diff.c.sent[1]!.stdin, `mysql-server mysql-server/root_password password ${PW}\n`);
  t.notMatch(diff.c.sent[1]!.script, PW);
  t.notMatch(JSON.stringify({ r: diff.r.outcome }), PW, 'nowhere in the result, message or diff');
  t.match(diff.r.outcome.diff?.[0]?.after, /"mysql-server\/root_password": "\*\*\*\*\*\*\*\*"/);
});

t.test('without question: only reads', async (t) => {
  const { r, c } = await run({ name: 'tzdata' });
  t.equal(r.outcome.changed, false);
  t.equal((r.outcome.result?.current as Record<string, string>)['tzdata/Zones/Etc'], 'UTC');
  t.equal(c.sent.length, 1);
});

t.test('debconf-show failing fails the task with its message', async (t) => {
  const c = new ScriptedConnection([{ label: 'debconf:read', reply: { exitCode: 1, stderr: 'debconf: DbDriver "config": could not open /var/cache/debconf/config.dat' } }]);
  await t.rejects(run({ name: 'tzdata' }, c), /could not open/);
});
