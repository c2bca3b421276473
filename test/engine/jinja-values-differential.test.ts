// Differential test of what templated task arguments *yield*, through ansible-playbook 2.14 and
// bosun in one run each (test/fixtures/jinja-diff/native.yml):
// - native types: every case is a set_fact value (one set_fact task for all), printed back as a
//   type name and its JSON: Ansible's Templar prints a single expression and reads the text back as
//   a Python literal only when it looks like a list/dict/bool, so `"{{ 1 + 1 }}"` is the string "2";
// - undefined: every case is a variable's value templated by one looped task (`lookup('vars', item)`,
//   ignore_errors): the same items fail, the others print the same; a few literal task strings check
//   that bosun's message has the file:line:col;
// - the template module's variables (template_host, …, ansible_managed from ansible.cfg and by
//   default), times normalised.
import t from 'tap';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ansibleInstalled, parseTranscript, runAnsible, runBosun, workDir, type ResultEvent, type Transcript } from '../helpers/differential.js';

const FIX = join(import.meta.dirname, '../fixtures/jinja-diff');
const fx = parse(readFileSync(join(FIX, 'native.yml'), 'utf8')) as { extra: Record<string, unknown>; cases: string[]; undefined: string[] };
const id = (p: string, i: number): string => `${p}${String(i + 1).padStart(3, '0')}`;

/** The type of v as a name both sides can print (type_debug names Ansible's wrapper classes). */
const KIND =
  "{{ 'dict' if v is mapping else ('list' if v is sequence and v is not string else ('str' if v is string else ('bool' if v is boolean else ('int' if v is integer else ('float' if v is float else ('none' if v is none else 'other')))))) }}";

/** loop: values (each a task). */
const LOOPS = ['{{ nums }}', '{{ s_list }}', '{{ range(3) }}', "{{ cfg.peers + ['c'] }}", "{{ users | map(attribute='name') }}", '{{ cfg | dict2items }}', '[{{ n }}, 2]', '{{ s }}', '{{ n }}'];

function playbook(): string {
  const vars: Record<string, unknown> = { ...fx.extra, names: fx.cases.map((_, i) => id('c', i)) };
  const facts = Object.fromEntries(fx.cases.map((c, i) => [id('c', i), c]));
  const tasks: unknown[] = [
    // a registered result with a newline in stdout (host data through to_json: escaped once)
    { name: 'register', command: "printf 'a\\nb'", register: 'reg', changed_when: false },
    { name: 'native values', set_fact: facts },
    { name: 'print values', debug: { msg: `{% for k in names %}{% set v = lookup('vars', k) %}{{ k }} ${KIND} {{ v | to_json }}\n{% endfor %}` } },
    // loop: takes the value a task string yields; a string is refused
    ...LOOPS.map((l, i) => ({ name: `loop ${i + 1}`, debug: { msg: '{{ item | to_json }}' }, loop: l, ignore_errors: true })),
    { name: 'template vars', template: { src: 'vars.j2', dest: '{{ playbook_dir }}/out-{{ tool }}.txt' } },
    // a templating error fails a whole looped task in Ansible: one task per case
    ...fx.undefined.map((c, i) => ({ name: id('u', i), debug: { msg: c }, ignore_errors: true })),
  ];
  const head = stringify([{ name: 'values', hosts: 'values', gather_facts: false, vars_files: ['vars.yml'], vars, tasks }], { lineWidth: 0 });
  return head;
}

/** Deliberate differences (docs/ansible-differences.md, "Templates"), by case. */
const KNOWN: Record<string, string> = {
  '{{ s_exp }}': 'a float with an integral value inside a list or dict that leaves a template loses its .0: the engine\'s data has one number type',
};

const CFG = '[defaults]\nansible_managed = Managed: {file} on {host} by {uid}, %Y-%m-%d %H:%M:%S\n';
const INV = 'values ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n';

/** Dates (template_run_date, and the tool's name in dest) differ between the runs by nature. */
const normalise = (s: string, tool: string): string => s.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?/g, '<date>').replace(`out-${tool}`, 'out-TOOL');

const byTask = (tr: Transcript, task: string): ResultEvent[] => tr.events.filter((e) => e.task === task);

t.test('templated values as ansible-playbook 2.14 yields them', { skip: ansibleInstalled() ? false : 'ansible-playbook is not installed (.ci/setup installs it)' }, async (t) => {
  const site = playbook();
  const files = {
    'site.yml': site,
    'inventory.ini': INV,
    'ansible.cfg': CFG,
    // inventory variables: what hostvars[h] holds (not the play's vars)
    'host_vars/values.yml': 'hv_nested: {a: {b: 1, l: [x, y]}}\nhv_tpl: "{{ hv_nested.a.b + 1 }}"\nhv_bad: "{{ nope_in_inventory }}"\n',
    'vars.yml': readFileSync(join(FIX, 'vars.yml'), 'utf8'),
    'templates/vars.j2': readFileSync(join(FIX, 'templates/vars.j2'), 'utf8'),
  };
  const dir = workDir(files, 'bosun-jvals-');
  // ansible_managed's default: a playbook run without ansible.cfg
  const plain = workDir({ 'site.yml': '- hosts: values\n  gather_facts: false\n  tasks:\n    - template: {src: vars.j2, dest: "{{ playbook_dir }}/out-{{ tool }}.txt"}\n', 'inventory.ini': INV, 'templates/vars.j2': files['templates/vars.j2'] }, 'bosun-jvals-');
  t.teardown(() => [dir, plain].forEach((d) => rmSync(d, { recursive: true, force: true })));
  const args = (tool: string) => ['site.yml', '-i', 'inventory.ini', '-e', `tool=${tool}`];
  // bosun runs in this process while the ansible-playbook processes run (their time is mostly waiting)
  const bosun = async () => [await runBosun(['run', ...args('bosun')], dir), await runBosun(['run', ...args('bosun')], plain)] as const;
  const [a, pa, [b, pb]] = await Promise.all([runAnsible('ansible-playbook', args('ansible'), dir), runAnsible('ansible-playbook', args('ansible'), plain), bosun()]);
  t.notMatch(a.stderr, /ERROR!/, 'ansible ran');
  t.notMatch(b.stderr, /ERROR!/, 'bosun ran');
  const ta = parseTranscript(a.stdout);
  const tb = parseTranscript(b.stdout);

  t.test('native types: set_fact values, type and JSON', async (t) => {
    const lines = (tr: Transcript): Map<string, string> => {
      const msg = String((byTask(tr, 'print values')[0]?.data as { msg?: string } | undefined)?.msg ?? '');
      return new Map(msg.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
    };
    const la = lines(ta);
    const lb = lines(tb);
    t.equal(la.size, fx.cases.length, 'ansible printed every case');
    fx.cases.forEach((c, i) => {
      const k = id('c', i);
      if (Object.hasOwn(KNOWN, c)) t.not(lb.get(k), la.get(k), `${k} ${JSON.stringify(c)}: a documented difference (${KNOWN[c]}); drop it from KNOWN when it agrees`);
      else t.equal(lb.get(k), la.get(k), `${k} ${JSON.stringify(c)}`);
    });
  });

  t.test('undefined: the same cases fail (bosun saying file:line:col), the others print the same', async (t) => {
    const lines = site.split('\n');
    fx.undefined.forEach((c, i) => {
      const name = id('u', i);
      const [ea, eb] = [byTask(ta, name)[0], byTask(tb, name)[0]];
      const show = (e: ResultEvent | undefined) => (e?.status === 'ok' ? `ok ${JSON.stringify((e.data as { msg?: unknown }).msg)}` : e?.status);
      t.equal(show(eb), show(ea), `${name} ${JSON.stringify(c)}`);
      if (ea?.status === 'fatal' && eb?.status === 'fatal') {
        const at = lines.findIndex((l) => l.endsWith(`- name: ${name}`));
        const line = lines.findIndex((l, j) => j > at && /^\s+msg: /.test(l)) + 1;
        // a variable whose own template fails is reported where that variable is written
        const where = c.includes('u_chain') ? '\\d+' : String(line);
        t.match(String((eb.data as { msg?: unknown }).msg), new RegExp(`site\\.yml:${where}:\\d+: `), `${name}: bosun's message says site.yml:${where}:col`);
      }
    });
  });

  t.test('loop: the items, or the refusal, as in Ansible', async (t) => {
    LOOPS.forEach((l, i) => {
      const rows = (tr: Transcript) => byTask(tr, `loop ${i + 1}`).map((e) => `${e.status} ${e.item ?? ''} ${e.status === 'ok' ? JSON.stringify(e.data) : ''}`);
      const ra = rows(ta);
      t.ok(ra.length > 0, `loop ${i + 1}: ansible ran it`);
      t.same(rows(tb), ra, `loop ${i + 1}: ${l}`);
    });
  });

  t.test('template module variables and ansible_managed', async (t) => {
    const read = (d: string, tool: string) => normalise(readFileSync(join(d, `out-${tool}.txt`), 'utf8'), tool);
    t.equal(read(dir, 'bosun'), read(dir, 'ansible'), 'ansible_managed from ansible.cfg');
    t.equal(read(plain, 'bosun'), read(plain, 'ansible'), 'ansible_managed by default');
    t.match(read(plain, 'ansible'), /^Ansible managed\n/, 'the default is the one expected');
    t.equal(pb.code, pa.code, 'exit code');
  });
});
