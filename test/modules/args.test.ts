import t from 'tap';
import { validateArgs } from '../../lib/modules/args.js';
import { ArgumentError } from '../../lib/errors.js';
import { defineModule, type AnyModule } from '../../lib/modules/types.js';

const fileLike: AnyModule = defineModule<Record<string, unknown>>({
  name: 'file',
  doc: { short: 'x', check: 'full', diff: false },
  args: {
    path: { type: 'path', required: true, aliases: ['dest'], description: 'p' },
    state: { type: 'str', choices: ['file', 'directory', 'absent'], description: 's' },
    mode: { type: 'mode', description: 'm' },
    owner: { type: 'str', description: 'o' },
    group: { type: 'str', description: 'g' },
  },
  plan: async () => ({ changed: false }),
  apply: async () => ({ changed: false }),
});

const many: AnyModule = defineModule<Record<string, unknown>>({
  name: 'many',
  freeForm: 'cmd',
  doc: { short: 'x', check: 'full', diff: false },
  args: {
    cmd: { type: 'str', description: 'c' },
    n: { type: 'int', default: 3, description: 'n' },
    flag: { type: 'bool', default: false, description: 'f' },
    items: { type: 'list', elements: 'int', description: 'i' },
    names: { type: 'list', description: 'l' },
    opts: { type: 'dict', default: { a: 1 }, description: 'd' },
    anything: { type: 'raw', description: 'r' },
    password: { type: 'str', secret: true, description: 's' },
  },
  validate(a) {
    if (a.cmd === 'bad') throw new ArgumentError('cmd may not be bad');
  },
  plan: async () => ({ changed: false }),
  apply: async () => ({ changed: false }),
});

const loc = { file: 'play.yml', line: 3, col: 5 };
const keyLoc = (k: string) => ({ file: 'play.yml', line: 10, col: k.length });

t.test('unknown argument: suggestion, valid list, key location', async (t) => {
  const e = t.throws(() => validateArgs(fileLike, { path: '/x', mdoe: '0644' }, { loc, keyLoc })) as ArgumentError;
  t.ok(e instanceof ArgumentError);
  t.equal(e.code, 'E_ARGS');
  t.equal(e.message, "unknown argument 'mdoe' for module 'file' (did you mean 'mode'?); valid: dest, group, mode, owner, path, state");
  t.same(e.loc, { file: 'play.yml', line: 10, col: 4 });
  const e2 = t.throws(() => validateArgs(fileLike, { path: '/x', zzzzzzzz: 1 }, { loc })) as ArgumentError;
  t.equal(e2.message, "unknown argument 'zzzzzzzz' for module 'file'; valid: dest, group, mode, owner, path, state");
  t.same(e2.loc, loc);
});

t.test('mode', async (t) => {
  const e = t.throws(() => validateArgs(fileLike, { path: '/x', mode: 644 }, {})) as ArgumentError;
  t.equal(e.message, 'mode must be octal: write 0644 or "0644"; got the decimal number 644 (= 01204)');
  // YAML 1.1 reads `mode: 0755` as the number 493: that is the mode, as in Ansible
  t.equal(validateArgs(fileLike, { path: '/x', mode: 493 }, {}).mode, '0755');
  t.equal(validateArgs(fileLike, { path: '/x', mode: 0o1777 }, {}).mode, '01777');
  t.equal(validateArgs(fileLike, { path: '/x', mode: 0 }, {}).mode, '0000');
  for (const m of [-1, 1.5, 0o10000]) t.throws(() => validateArgs(fileLike, { path: '/x', mode: m }, {}), /must be a mode like "0644"/);
  for (const m of ['0644', '644', '01777', '0755']) t.equal(validateArgs(fileLike, { path: '/x', mode: m }, {}).mode, m);
  for (const m of ['u+rwx', '0849', '12', '012345']) t.throws(() => validateArgs(fileLike, { path: '/x', mode: m }, {}), ArgumentError, m);
  t.throws(() => validateArgs(fileLike, { path: '/x', mode: 'u+x' }, {}), /symbolic modes are not supported/);
});

t.test('required, aliases, choices', async (t) => {
  t.throws(() => validateArgs(fileLike, {}, { loc }), { message: "missing required argument 'path' for module 'file'", loc });
  t.same(validateArgs(fileLike, { dest: '/etc/x' }, {}), { path: '/etc/x' });
  t.throws(() => validateArgs(fileLike, { dest: '/a', path: '/b' }, {}), /given twice \(as 'dest' and 'path'\)/);
  t.throws(
    () => validateArgs(fileLike, { path: '/a', state: 'dir' }, {}),
    { message: "argument 'state' of module 'file' must be one of: file, directory, absent; got 'dir'" },
  );
  t.throws(() => validateArgs(fileLike, { path: '/a', state: 'directroy' }, {}), /did you mean 'directory'/);
});

t.test('free form', async (t) => {
  t.same(validateArgs(many, 'ls -l', {}), { cmd: 'ls -l', n: 3, flag: false, opts: { a: 1 } });
  t.throws(() => validateArgs(fileLike, '/etc/x', { loc }), { message: "module 'file' does not take free-form arguments; got '/etc/x'", loc });
  t.same(validateArgs(fileLike, { path: '/x' }, {}), { path: '/x' });
  t.same(validateArgs(many, null, {}), { n: 3, flag: false, opts: { a: 1 } });
  t.throws(() => validateArgs(many, [1, 2], {}), /must be a mapping or a string; got a list/);
});

t.test('types', async (t) => {
  const v = (raw: Record<string, unknown>) => validateArgs(many, raw, {});
  t.equal(v({ cmd: 12 }).cmd, '12');
  t.equal(v({ cmd: true }).cmd, 'True', "Python's str(True), as Ansible's cron writes '#Ansible: False' for name: off");
  t.equal(v({ cmd: false }).cmd, 'False');
  t.throws(() => v({ cmd: { a: 1 } }), { message: "argument 'cmd' of module 'many' must be a string; got a mapping" });
  t.equal(v({ n: '42' }).n, 42);
  t.equal(v({ n: 7 }).n, 7);
  t.throws(() => v({ n: 'abc' }), { message: "argument 'n' of module 'many' must be an integer; got 'abc'" });
  t.throws(() => v({ n: 1.5 }), /must be an integer; got the number 1.5/);
  for (const s of ['yes', 'on', '1', 'true', 'True', 'YES', true, 1]) t.equal(v({ flag: s }).flag, true, String(s));
  for (const s of ['no', 'off', '0', 'false', 'False', false, 0]) t.equal(v({ flag: s }).flag, false, String(s));
  t.throws(() => v({ flag: 'maybe' }), { message: "argument 'flag' of module 'many' must be a boolean (true/false, yes/no, on/off, 1/0); got 'maybe'" });
  t.same(v({ names: 'a,b,c' }).names, ['a', 'b', 'c']);
  t.same(v({ names: 'single' }).names, ['single']);
  t.same(v({ names: ['x', 'y'] }).names, ['x', 'y']);
  t.same(v({ items: ['1', 2] }).items, [1, 2]);
  t.throws(() => v({ items: [1, 'x'] }), { message: "element 2 of argument 'items' of module 'many' must be an integer; got 'x'" });
  t.throws(() => v({ opts: 'a=1' }), /must be a mapping; got 'a=1'/);
  t.same(v({ anything: [{ x: 1 }] }).anything, [{ x: 1 }]);
  t.throws(() => v({ password: { s: 1 } }), /got a mapping/);
  const e = t.throws(() => v({ n: 'hunter2' })) as Error;
  t.match(e.message, /hunter2/, 'non-secret values are shown');
  const many2 = { ...many, args: { ...many.args, n: { ...many.args.n!, secret: true } } } as AnyModule;
  const e2 = t.throws(() => validateArgs(many2, { n: 'hunter2' }, {})) as Error;
  t.notMatch(e2.message, /hunter2/, 'secret values are never shown');
  t.same(v({ n: null }).n, 3, 'null means not given: default applies');
});

t.test('deferTemplates', async (t) => {
  const r = validateArgs(many, { n: '{{ count }}', flag: '{{ f }}', items: ['{{ a }}', '3'] }, { deferTemplates: true });
  t.same(r, { n: '{{ count }}', flag: '{{ f }}', items: ['{{ a }}', 3], opts: { a: 1 } });
  t.same(validateArgs(fileLike, { path: '/x', mode: '{{ m }}', state: '{{ s }}' }, { deferTemplates: true }), {
    path: '/x',
    mode: '{{ m }}',
    state: '{{ s }}',
  });
  t.throws(() => validateArgs(many, { n: '{{ count }}' }, {}), /must be an integer/, 'checked again after rendering');
  t.throws(() => validateArgs(many, { nn: '{{ x }}' }, { deferTemplates: true }), /unknown argument 'nn'.*did you mean 'n'/);
  t.throws(() => validateArgs(fileLike, { mode: '{{ m }}' }, { deferTemplates: true }), /missing required argument 'path'/);
  t.throws(() => validateArgs(many, { n: 'x{{' }, { deferTemplates: false }), /must be an integer/);
});

t.test('validate hook, location, no mutation', async (t) => {
  t.throws(() => validateArgs(many, { cmd: 'bad' }, { loc }), { message: 'cmd may not be bad', loc });
  const raw = { cmd: 'x', items: ['1'], opts: { b: 2 } };
  const copy = structuredClone(raw);
  const out = validateArgs(many, raw, {});
  t.same(raw, copy, 'raw untouched');
  t.not(out, raw);
  (out.opts as Record<string, unknown>).c = 3;
  t.same(raw.opts, { b: 2 });
  const d1 = validateArgs(many, {}, {});
  (d1.opts as Record<string, unknown>).z = 1;
  t.same(validateArgs(many, {}, {}).opts, { a: 1 }, 'defaults are copied, not shared');
});

t.test('the schema read once per module is that module args object: another module of the same name is read anew', async (t) => {
  t.same(validateArgs(fileLike, { dest: '/a' }, {}), { path: '/a' }, 'alias, from the schema read once');
  t.same(validateArgs(fileLike, { dest: '/b' }, {}), { path: '/b' }, 'and again');
  const renamed: AnyModule = defineModule<Record<string, unknown>>({
    ...fileLike,
    args: { target: { type: 'path', required: true, aliases: ['dest'], description: 't' }, n: { type: 'int', default: 2, description: 'n' } },
  } as never);
  t.same(validateArgs(renamed, { dest: '/c' }, {}), { target: '/c', n: 2 }, 'its own aliases and defaults');
  t.throws(() => validateArgs(renamed, { path: '/c' }, {}), { message: /unknown argument 'path' for module 'file'.*; valid: dest, n, target$/ });
  t.throws(() => validateArgs(fileLike, { target: '/c' }, {}), { message: /unknown argument 'target' for module 'file'.*valid: dest, group, mode, owner, path, state/ });
});
