// validate_argument_spec and the validator it shares with role argument specs (lib/modules/util/argspec.ts):
// conversions and error texts as Ansible 2.14's ArgumentSpecValidator gives them (the expected lists
// below are what ansible-core 2.14.18 returned for the same spec and parameters), the module's reading
// of variables, check mode, no_log, and the spec checks that refuse a malformed spec before anything runs.
import t from 'tap';
import mod from '../../lib/modules/validate_argument_spec.js';
import { validateArgumentSpec, YAML_STR, type ArgumentSpec } from '../../lib/modules/util/argspec.js';
import { specProblem } from '../../lib/modules/util/argspec-shape.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ArgumentError, ModuleFailure } from '../../lib/errors.js';
import { parseYaml } from '../../lib/loaders/yaml.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';

/** Python prints its set of boolean words in hash order: compared sorted. */
const norm = (msgs: string[]) => msgs.map((m) => m.replace(/(Valid booleans include: )(.*)$/, (_x, h: string, l: string) => h + l.split(', ').sort().join(', ')));

// [spec, parameters (plain str, as JSON gives Python), Ansible's error_messages]
const ORACLE: Array<[Record<string, unknown>, Record<string, unknown>, string[]]> = [
  [{"a": {"type": "int"}, "b": {"type": "int"}, "c": {"type": "int"}, "d": {"type": "int"}}, {"a": " 42 ", "b": "4_2", "c": 1.5, "d": true}, ["argument 'c' is of type <class 'float'> and we were unable to convert to int: <class 'float'> cannot be converted to an int"]],
  [{"a": {"type": "float"}, "b": {"type": "float"}, "c": {"type": "float"}, "d": {"type": "float"}}, {"a": "1e3", "b": "x", "c": [1], "d": "inf"}, ["argument 'b' is of type <class 'str'> and we were unable to convert to float: <class 'str'> cannot be converted to a float", "argument 'c' is of type <class 'list'> and we were unable to convert to float: <class 'list'> cannot be converted to a float"]],
  [{"a": {"type": "bool"}, "b": {"type": "bool"}, "c": {"type": "bool"}}, {"a": " YES ", "b": 2, "c": {"k": 1}}, ["argument 'b' is of type <class 'int'> and we were unable to convert to bool: The value '2' is not a valid boolean.  Valid booleans include: 0, 1, 'yes', 'y', 't', 'no', '1', 'false', 'n', 'off', 'true', 'on', 'f', '0'", "argument 'c' is of type <class 'dict'> and we were unable to convert to bool: <class 'dict'> cannot be converted to a bool"]],
  [{"a": {"type": "list"}, "b": {"type": "list"}, "c": {"type": "list"}}, {"a": "x,y", "b": 5, "c": {"k": 1}}, ["argument 'c' is of type <class 'dict'> and we were unable to convert to list: <class 'dict'> cannot be converted to a list"]],
  [{"a": {"type": "dict"}, "b": {"type": "dict"}, "c": {"type": "dict"}, "d": {"type": "dict"}, "e": {"type": "dict"}}, {"a": "k=1 j='x y'", "b": "{\"k\": 1}", "c": "{'k': 1}", "d": "plain", "e": [1]}, ["argument 'd' is of type <class 'str'> and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value", "argument 'e' is of type <class 'list'> and we were unable to convert to dict: <class 'list'> cannot be converted to a dict"]],
  [{"a": {"type": "str", "choices": ["yes", "no"]}, "b": {"type": "str", "choices": ["x"]}, "c": {"type": "int", "choices": [1, 2]}}, {"a": false, "b": true, "c": "3"}, ["value of b must be one of: x, got: True", "value of c must be one of: 1, 2, got: 3"]],
  [{"a": {"required": true}, "z": {"required": true}, "m": {"type": "int", "default": "abc"}}, {}, ["missing required arguments: a, z", "argument 'm' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be converted to an int"]],
  [{"o": {"type": "dict", "apply_defaults": true, "options": {"x": {"required": true}, "y": {"default": 3, "type": "str"}}}}, {}, ["missing required arguments: x found in o"]],
  [{"o": {"type": "dict", "options": {"a": {}, "b": {}, "c": {}, "d": {}}, "required_together": [["a", "b"]], "required_one_of": [["c", "d"]], "required_if": [["a", 1, ["c", "d"], true]], "required_by": {"a": ["d"]}}}, {"o": {"a": 1}}, ["parameters are required together: a, b found in o", "one of the following is required: c, d found in o", "missing parameter(s) required by 'a': d found in o"]],
  [{"a": {"aliases": ["al", "am"]}, "b": {}}, {"al": "x", "q": 1, "r": 2}, ["q, r. Supported parameters include: a, b (al, am)."]],
  [{"l": {"type": "list", "elements": "dict", "options": {"n": {"type": "list", "elements": "int"}}}}, {"l": [{"n": [1, "x"]}, {"n": "2,y"}]}, ["Elements value for option 'n' found in 'l' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be converted to an int", "Elements value for option 'n' found in 'l' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be converted to an int"]],
  [{"j": {"type": "json"}, "k": {"type": "jsonarg"}, "p": {"type": "path"}}, {"j": {"a": [1, 2]}, "k": " x ", "p": 5}, []],
  [{"a": {"type": "str"}, "b": {"type": "str", "choices": ["[1, 2]"]}}, {"a": [1, "x"], "b": [1, 2]}, []],
  [{"a": {"type": "dict"}}, {"a": "k=1 j"}, ["argument 'a' is of type <class 'str'> and we were unable to convert to dict: dictionary update sequence element #1 has length 1; 2 is required"]],
  [{"o": {"type": "dict", "options": {"a": {}, "c": {}, "d": {}}, "required_if": [["a", "1", ["c", "d"], true], ["a", "1", ["c"]]]}}, {"o": {"a": "1"}}, ["a is 1 but any of the following are missing: c, d found in o"]],
  [{"a": {"type": "int"}, "b": {"type": "float"}, "c": {"type": "bool"}, "d": {"type": "list", "elements": "bool"}}, {"a": "+5", "b": "1_0.5", "c": 0.0, "d": [true, "no", "x"]}, ["Elements value for option 'd' is of type <class 'str'> and we were unable to convert to bool: The value 'x' is not a valid boolean.  Valid booleans include: 0, 1, 'yes', 'on', 'f', '1', 't', 'true', 'y', 'false', 'n', '0', 'no', 'off'"]],
  [{"a": {"type": "str", "choices": ["True", "yes"]}, "b": {"type": "list", "choices": ["a", "b"]}}, {"a": true, "b": "a,c"}, ["value of b must be one or more of: a, b. Got no match for: c"]],
  [{"o": {"type": "dict", "options": {"x": {"type": "int"}}}}, {"o": "{bad"}, ["unable to evaluate string as dictionary", "argument 'o' is of type <class 'str'> and we were unable to convert to dict: unable to evaluate string as dictionary", "value of 'o' must be of type dict or list of dicts"]],
];

t.test("the validator's errors are Ansible 2.14's, in its order", async (t) => {
  for (const [spec, params, expected] of ORACLE) {
    const r = validateArgumentSpec(spec as ArgumentSpec, params, () => 'str');
    t.same(norm(r.errors), norm(expected), JSON.stringify(params));
  }
});

t.test('conversions', async (t) => {
  const spec: ArgumentSpec = {
    i: { type: 'int' }, f: { type: 'float' }, b: { type: 'bool' }, l: { type: 'list', elements: 'int' }, d: { type: 'dict' },
    p: { type: 'path' }, s: { type: 'str', choices: ['yes', 'no'] }, r: { type: 'raw' }, dflt: { type: 'int', default: 7 }, none: {},
  };
  const r = validateArgumentSpec(spec, { i: ' 4_2 ', f: '1e3', b: 'On', l: '1,2', d: "k=1 j='x y'", p: '~/x', s: false, r: [1] });
  t.same(r.errors, []);
  const v = r.validated;
  t.equal(v.i, 42);
  t.equal(Number(v.f), 1000);
  t.equal(v.b, true);
  t.same(v.l, [1, 2], 'a comma-separated string is a list, its elements converted');
  t.same(v.d, { k: '1', j: 'x y' });
  t.equal(v.p, `${process.env.HOME}/x`);
  t.equal(v.s, 'no', "a boolean becomes 'False', then the one matching choice");
  t.same(v.r, [1]);
  t.equal(v.dflt, 7, 'the spec default is in the validated parameters');
  t.equal(v.none, null);
  t.equal(validateArgumentSpec({ j: { type: 'json' } }, { j: { a: [1, 'é'] } }).validated.j, '{"a": [1, "\\u00e9"]}', "json: Python's json.dumps");
});

t.test('the class of a string in messages: YAML text, or str when the caller says so', async (t) => {
  const spec: ArgumentSpec = { a: { type: 'int' }, b: { type: 'int' }, c: { type: 'dict', options: { n: { type: 'int' } } } };
  const r = validateArgumentSpec(spec, { a: 'x', b: 'y', c: 'n=z' }, (n) => (n === 'a' ? YAML_STR : 'str'));
  t.same(r.errors, [
    "argument 'a' is of type <class 'ansible.parsing.yaml.objects.AnsibleUnicode'> and we were unable to convert to int: <class 'ansible.parsing.yaml.objects.AnsibleUnicode'> cannot be converted to an int",
    "argument 'b' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be converted to an int",
    "argument 'n' is of type <class 'str'> found in 'c'. and we were unable to convert to int: <class 'str'> cannot be converted to an int",
  ]);
});

t.test('sub-options: a scalar where a mapping belongs, nested unsupported names, mutually_exclusive', async (t) => {
  const spec: ArgumentSpec = {
    users: { type: 'list', elements: 'dict', options: { name: { required: true }, uid: { type: 'int' }, home: {} }, mutually_exclusive: [['uid', 'home']] },
  };
  // what ansible-playbook 2.14 printed for the same values (test/fixtures/differential/argspec, host bad_nested)
  t.same(validateArgumentSpec(spec, { users: [{ uid: 1, home: '/h', extra: 1 }, 5] }).errors, [
    "Value '5' in the sub parameter field 'users' must by a list, not 'int'",
    "Elements value for option 'users' is of type <class 'int'> and we were unable to convert to dict: <class 'int'> cannot be converted to a dict",
    'parameters are mutually exclusive: uid|home found in users',
    'missing required arguments: name found in users',
    'users.extra. Supported parameters include: home, name, uid.',
  ]);
  t.same(validateArgumentSpec({ o: { type: 'dict', options: { a: {} } } }, { o: 5 }).errors.slice(-1), ["value of 'o' must be of type dict or list of dicts"], 'where Ansible 2.14 crashes (set_fallbacks on an int), an error');
  t.same(validateArgumentSpec({ m: { choices: ['a', 'b'] } }, { m: null }).errors, ['value of m must be one of: a, b, got: None']);
});

t.test('the module: variables as the task sees them, provided_arguments over them', async (t) => {
  const vars: Record<string, unknown> = { port: 'abc', mode: 'b', other: 1 };
  Object.defineProperty(vars, 'rendered', { enumerable: true, get: () => 'x' }); // a templated variable
  const ctx = fakeContext({ vars });
  const spec = { port: { type: 'int' }, mode: { choices: ['a', 'b'] }, rendered: { type: 'int' }, secret: { no_log: true } };
  const err = await runTask(mod, ctx, { argument_spec: spec, provided_arguments: { mode: 'c', secret: 's3cr3t' }, validate_args_context: { name: 'r' } }).catch((e: unknown) => e);
  t.ok(err instanceof ModuleFailure);
  const f = err as ModuleFailure;
  t.equal(
    f.message,
    'Validation of arguments failed:\n' +
      "argument 'port' is of type <class 'ansible.parsing.yaml.objects.AnsibleUnicode'> and we were unable to convert to int: <class 'ansible.parsing.yaml.objects.AnsibleUnicode'> cannot be converted to an int\n" +
      "argument 'rendered' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be converted to an int\n" +
      'value of mode must be one of: a, b, got: c',
  );
  t.match(f.result, { argument_errors: [String, String, String], argument_spec_data: spec, validate_args_context: { name: 'r' } });
  t.same(ctx.secrets, ['s3cr3t'], 'a no_log option is a secret');
  const ok = await runTask(mod, fakeContext({ vars: { port: '8' }, check: true }), { argument_spec: { port: { type: 'int', required: true } }, provided_arguments: {}, validate_args_context: {} });
  t.match(ok.outcome, { changed: false, msg: 'The arg spec validation passed' });
  const inCheck = await runTask(mod, fakeContext({ check: true }), { argument_spec: { port: { required: true } }, provided_arguments: {}, validate_args_context: {} }).catch((e: unknown) => e);
  t.ok(inCheck instanceof ModuleFailure, 'fails in check mode too');
});

t.test('a malformed spec is refused before anything runs, at its line', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['a: {type: integer}', /option 'a' of argument_spec: unknown type "integer"/],
    ['a: {type: bytes}', /does not convert human-readable sizes/],
    ['a: {elements: str}', /elements needs type: list/],
    ['a: {required: true, default: 1}', /required and default are mutually exclusive/],
    ['a: {choices: x}', /choices must be a list/],
    ['a: {choises: [x]}', /unknown key 'choises' \(did you mean 'choices'\?\)/],
    ['a: {suboptions: {}}', /unknown key 'suboptions' \(did you mean 'options'\?\)/],
    ['a: {options: {b: {}}}', /options needs type: dict/],
    ['a: {type: dict, options: {b: {type: nope}}}', /option 'b' of option 'a' of argument_spec: unknown type "nope"/],
    ['a: 5', /option 'a' of argument_spec must be a mapping/],
    ['a: {mutually_exclusive: [a, b]}', /must be a list of lists/],
  ];
  for (const [text, re] of bad) {
    const spec = parseYaml(text, '/x/spec.yml').value;
    const e = (() => {
      try {
        validateArgs(mod, { argument_spec: spec }, { loc: { file: '/x/task.yml', line: 1, col: 1 } });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    t.ok(e instanceof ArgumentError, text);
    t.match((e as ArgumentError).message, re, text);
    // a problem at the top of the spec is located at the task's argument (the spec's own mapping is copied)
    t.equal((e as ArgumentError).loc?.file, text === 'a: 5' ? '/x/task.yml' : '/x/spec.yml', `${text}: located`);
  }
  t.equal(specProblem({ a: { type: 'str', description: 'x', version_added: '1.0', example: 'y' } }, 'spec'), undefined, 'documentation keys are accepted');
});
