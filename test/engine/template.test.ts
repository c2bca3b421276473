import t, { type Test } from 'tap';
import { TemplateEngine } from '../../lib/engine/template.js';
import { HANDLEBARS_HELPERS, languageOf } from '../../lib/engine/template-lang.js';
import { parsedTree, takeTree } from '../../lib/engine/template-ast.js';
import { TemplateError, type SourceLocation } from '../../lib/errors.js';

const vars: Record<string, unknown> = {
  name: 'etcd',
  port: 2379,
  on: true,
  off: false,
  nothing: null,
  empty: [],
  groups: { etcd: ['e1', 'e2', 'e3'], web: [] },
  hostvars: { e1: { ip: '10.0.0.1' }, e2: { ip: '10.0.0.2' }, e3: { ip: '10.0.0.3' } },
  cfg: { data_dir: '/var/lib/etcd', tls: { enabled: true } },
  members: [
    { name: 'a', peers: ['x', 'y'] },
    { name: 'b', peers: ['z'] },
  ],
  text: 'line1\nline2\n\nline4',
  first: 'shadowed',
};

const te = new TemplateEngine();
const r = (s: string, v: Record<string, unknown> = vars): string => te.render(s, v, 'play.yml');

function throwsTpl(t: Test, fn: () => unknown, re: RegExp, loc?: Partial<SourceLocation>, hint?: RegExp): TemplateError | undefined {
  try {
    fn();
    t.fail(`expected TemplateError matching ${re}`);
  } catch (e) {
    t.ok(e instanceof TemplateError, `TemplateError: ${(e as Error).message}`);
    t.match((e as Error).message, re);
    if (loc) t.match((e as TemplateError).loc, loc, 'location');
    if (hint) t.match((e as TemplateError).hint ?? '', hint, 'hint');
    return e as TemplateError;
  }
  return undefined;
}

t.test('plain strings take the fast path', async (t) => {
  t.equal(r('no template here'), 'no template here');
  t.equal(te.hasTemplate('a {{x}}'), true);
  t.equal(te.hasTemplate('a { x }'), false);
  t.equal(te.hasTemplate(5), false);
  t.equal(te.renderValue('plain', {}, 'f'), 'plain');
});

t.test('rendering', async (t) => {
  t.equal(r('{{name}}:{{port}}'), 'etcd:2379');
  t.equal(r('{{ cfg.data_dir }}/member'), '/var/lib/etcd/member');
  t.equal(r('<{{name}}>&"'), '<etcd>&"', 'no HTML escaping');
  t.equal(r('{{{name}}}'), 'etcd');
  t.equal(r('{{#if on}}yes{{else}}no{{/if}}'), 'yes');
  t.equal(r('{{#if off}}yes{{else}}no{{/if}}'), 'no');
  t.equal(r('{{#unless off}}u{{/unless}}'), 'u');
  t.equal(r('{{#if nothing}}y{{else}}n{{/if}}'), 'n', 'null is defined (and falsy)');
  t.equal(r('{{#each empty}}x{{else}}none{{/each}}'), 'none');
  t.equal(r('{{#with cfg}}{{data_dir}} {{../name}}{{/with}}'), '/var/lib/etcd etcd');
  t.equal(r('{{first}}'), 'shadowed', 'a variable named like a helper still renders');
  t.equal(r('{{@root.name}}'), 'etcd');
});

t.test('each: @index/@first/@last/@key, ../, block params, nesting', async (t) => {
  t.equal(r('{{#each groups.etcd}}{{@index}}={{this}}{{#unless @last}},{{/unless}}{{/each}}'), '0=e1,1=e2,2=e3');
  t.equal(r('{{#each groups.etcd}}{{#if @first}}[{{/if}}{{this}}{{#if @last}}]{{/if}}{{/each}}'), '[e1e2e3]');
  t.equal(r('{{#each cfg}}{{@key}};{{/each}}'), 'data_dir;tls;');
  t.equal(r('{{#each groups.etcd}}{{this}}@{{../name}} {{/each}}'), 'e1@etcd e2@etcd e3@etcd ');
  t.equal(r('{{#each groups.etcd as |h i|}}{{i}}:{{lookup (lookup ../hostvars h) "ip"}} {{/each}}'), '0:10.0.0.1 1:10.0.0.2 2:10.0.0.3 ');
  t.equal(r('{{#each groups.etcd}}{{lookup (lookup @root.hostvars this) "ip"}}{{#unless @last}},{{/unless}}{{/each}}'), '10.0.0.1,10.0.0.2,10.0.0.3');
  const nested = '{{#each members}}{{name}}:{{#each peers}}{{#if @first}}({{/if}}{{this}}/{{../name}}{{#if @last}}){{else}} {{/if}}{{/each}}{{#unless @last}};{{/unless}}{{/each}}';
  t.equal(r(nested), 'a:(x/a y/a);b:(z/b)');
  t.equal(r('{{#each members}}{{#each peers}}{{../../name}}{{/each}}{{/each}}'), 'etcdetcdetcd', '../../ reaches the root');
});

t.test('strict: missing variables are errors with file:line:col', async (t) => {
  throwsTpl(t, () => r('hello {{nope}}'), /^undefined variable 'nope'$/, { file: 'play.yml', line: 1, col: 9 });
  throwsTpl(t, () => r('a\nb {{cfg.missing}}'), /^cfg\.missing is undefined$/, { line: 2 });
  throwsTpl(t, () => te.render('x\n\n  {{ nme }}', vars, 'roles/etcd/templates/etcd.conf', 10), /undefined variable 'nme'/, { file: 'roles/etcd/templates/etcd.conf', line: 13, col: 6 }, /did you mean 'name'/);
  throwsTpl(t, () => r('{{#each members}}{{nope}}{{/each}}'), /undefined variable 'nope'/);
  throwsTpl(t, () => r('{{#with cfg}}{{name}}{{/with}}'), /undefined variable 'name'/, undefined);
  // block params: Handlebars strict alone would render '' here
  throwsTpl(t, () => r('{{#each members as |m|}}\n  {{m.nope}}{{/each}}'), /^undefined variable 'm\.nope'$/, { line: 2, col: 5 });
  throwsTpl(t, () => r('{{#with cfg as |c|}}{{c.a.b}}{{/with}}'), /undefined variable 'c\.a\.b'/);
  throwsTpl(t, () => r('{{#each members as |m|}}{{else}}{{#each groups.etcd as |h|}}{{h.x}}{{/each}}{{/each}}', { ...vars, members: [] }), /undefined variable 'h\.x'/);
  throwsTpl(t, () => r('{{#each members as |m|}}{{join m.nope ","}}{{/each}}'), /undefined variable 'm\.nope'/, { col: 32 });
  throwsTpl(t, () => r('{{#each members as |m|}}{{#if m.x.y}}{{/if}}{{/each}}'), /undefined variable 'm\.x\.y'/);
  throwsTpl(t, () => r('{{#each members as |m|}}{{#if (eq m.x.y 1)}}{{/if}}{{/each}}'), /undefined variable 'm\.x\.y'/);
  t.equal(r('{{#each members as |m|}}{{join m.peers "+"}}{{#if (default m.x.y true)}}!{{/if}} {{/each}}'), 'x+y! z! ');
  t.equal(r('{{#each l as |m|}}[{{default m.a.b "-"}}]{{/each}}', { l: [null, { a: null }, { a: { b: 1 } }] }), '[-][-][1]', 'null-safe');
  t.equal(r('{{#each members as |m i|}}{{i}}{{m.name}}{{m}}{{/each}}').replace(/\[object Object\]/g, 'O'), '0aO1bO');
});

t.test('#if/#each/#with/helper arguments on undefined name the variable', async (t) => {
  throwsTpl(t, () => r('{{#if x}}y{{/if}}'), /^undefined variable 'x'$/, { line: 1, col: 7 });
  throwsTpl(t, () => r('{{#unless x}}y{{/unless}}'), /undefined variable 'x'/);
  throwsTpl(t, () => r('a\n  {{#each hosts}}y{{/each}}'), /undefined variable 'hosts'/, { line: 2, col: 11 });
  throwsTpl(t, () => r('{{#with conf}}y{{/with}}'), /undefined variable 'conf'/);
  throwsTpl(t, () => r('{{#if cfg.tls.missing}}y{{/if}}'), /undefined variable 'cfg\.tls\.missing'/);
  throwsTpl(t, () => r('{{join servers ","}}'), /undefined variable 'servers'/, { col: 8 });
  throwsTpl(t, () => r('{{#each groups.etcd}}{{#if ../missing}}y{{/if}}{{/each}}'), /undefined variable '\.\.\/missing'/);
  throwsTpl(t, () => r('{{#each groups.etcd}}{{#if (eq this nope)}}y{{/if}}{{/each}}'), /undefined variable 'nope'/);
  throwsTpl(t, () => r('{{indent text first=nope}}'), /undefined variable 'nope'/);
  throwsTpl(t, () => r('{{#if (lookup hostvars "zz")}}y{{/if}}'), /undefined value \(lookup hostvars "zz"\) passed to 'if'/);
  throwsTpl(t, () => r('{{lookup nope "x"}}'), /undefined variable 'nope'/);
  // the documented escape hatch
  t.equal(r('{{#if (default x false)}}y{{else}}n{{/if}}'), 'n');
  t.equal(r('{{#if (default cfg.tls.enabled false)}}tls{{/if}}'), 'tls');
  // only code that runs can fail: the branch not taken may mention undefined names
  t.equal(r('{{#if off}}{{#each nope}}x{{/each}}{{else}}ok{{/if}}'), 'ok');
  t.equal(r('{{#each empty}}{{#if nope}}x{{/if}}{{/each}}'), '');
});

t.test('native values for single-expression strings', async (t) => {
  t.same(te.renderValue('{{ groups.etcd }}', vars, 'f'), ['e1', 'e2', 'e3']);
  t.equal(te.renderValue('{{ port }}', vars, 'f'), 2379);
  t.equal(te.renderValue('{{on}}', vars, 'f'), true);
  t.equal(te.renderValue('{{nothing}}', vars, 'f'), null);
  t.same(te.renderValue('{{ cfg.tls }}', vars, 'f'), { enabled: true });
  t.equal(te.renderValue('{{ groups.etcd.[1] }}', vars, 'f'), 'e2');
  t.equal(te.renderValue('{{@root.port}}', vars, 'f'), 2379);
  t.equal(te.renderValue('{{default missing 8080}}', vars, 'f'), 8080);
  t.same(te.renderValue('{{keys cfg}}', vars, 'f'), ['data_dir', 'tls']);
  t.equal(te.renderValue('{{len (keys hostvars)}}', vars, 'f'), 3);
  t.same(te.renderValue('{{lookup hostvars "e1"}}', vars, 'f'), { ip: '10.0.0.1' });
  t.equal(te.renderValue('{{first}}', vars, 'f'), 'shadowed');
  t.equal(te.renderValue('{{ port }}\n', vars, 'f'), 2379, 'surrounding whitespace (YAML block scalars) is ignored');
  t.equal(te.renderValue('p={{ port }}', vars, 'f'), 'p=2379', 'anything else is a string');
  t.equal(te.renderValue('{{port}}{{port}}', vars, 'f'), '23792379');
  t.equal(te.renderString('{{ port }}', vars, 'f'), 2379);
  throwsTpl(t, () => te.renderValue('{{ nope.x }}', vars, 'f'), /undefined variable 'nope'/, { file: 'f', line: 1, col: 4 });
  throwsTpl(t, () => te.renderValue('{{join nope ","}}', vars, 'f'), /undefined variable 'nope'/, { col: 8 });
  throwsTpl(t, () => te.renderValue('{{first 1 2}}', vars, 'f'), /'first' takes 1 argument/);
});

t.test('renderValue recurses and keeps unchanged containers', async (t) => {
  const args = {
    name: 'etcd-{{ port }}',
    port: '{{ port }}',
    nodes: ['{{ groups.etcd }}', 'static', { deep: '{{cfg.data_dir}}/x' }],
    flag: true,
    n: 3,
  };
  t.same(te.renderValue(args, vars, 'f'), {
    name: 'etcd-2379',
    port: 2379,
    nodes: [['e1', 'e2', 'e3'], 'static', { deep: '/var/lib/etcd/x' }],
    flag: true,
    n: 3,
  });
  t.same(args.port, '{{ port }}', 'input not mutated');
  const untouched = { a: ['x', { b: 1 }], c: 'plain' };
  t.equal(te.renderValue(untouched, vars, 'f'), untouched, 'same object when nothing to render');
  const partly = { keep: { k: 'v' }, r: '{{name}}' };
  const out = te.renderValue(partly, vars, 'f') as typeof partly;
  t.equal(out.keep, partly.keep, 'unchanged sub-objects are shared');
  const evil = JSON.parse('{"__proto__": "{{name}}", "x": 1}') as Record<string, unknown>;
  const outEvil = te.renderValue(evil, vars, 'f') as Record<string, unknown>;
  t.equal(Object.getPrototypeOf(outEvil), Object.prototype, 'a __proto__ key never sets the prototype');
  t.equal(Object.getOwnPropertyDescriptor(outEvil, '__proto__')?.value, 'etcd');
});

t.test('renderValue locations: locOf(container, key) or a fixed baseLine', async (t) => {
  const task = { msg: 'hi {{ who }}' };
  const locOf = (o: unknown, k?: string | number): SourceLocation | undefined =>
    o === task && k === 'msg' ? { file: 'site.yml', line: 12, col: 10 } : undefined;
  throwsTpl(t, () => te.renderValue(task, vars, 'fallback.yml', locOf), /undefined variable 'who'/, { file: 'site.yml', line: 12, col: 7 });
  throwsTpl(t, () => te.renderValue(['{{who}}'], vars, 'vars.yml', 4), /undefined variable 'who'/, { file: 'vars.yml', line: 5 });
});

t.test('helpers', async (t) => {
  t.equal(r('{{join groups.etcd ","}}'), 'e1,e2,e3');
  t.equal(r('{{join groups.etcd}}'), 'e1,e2,e3');
  t.equal(r('{{default nothing "d"}}'), '', 'default keeps null (Ansible)');
  t.equal(r('{{default missing "d"}}'), 'd');
  t.equal(r('{{default name "d"}}'), 'etcd');
  for (const [tpl, want] of [
    ['{{eq port 2379}}', 'true'],
    ['{{ne name "etcd"}}', 'false'],
    ['{{lt 1 2}}', 'true'],
    ['{{gt 1 2}}', 'false'],
    ['{{le 2 2}}', 'true'],
    ['{{ge "b" "a"}}', 'true'],
    ['{{and on port}}', 'true'],
    ['{{and on empty}}', 'false'],
    ['{{or off empty 0}}', 'false'],
    ['{{or off 1}}', 'true'],
    ['{{not empty}}', 'True'],
    ['{{#if (and on (eq name "etcd"))}}both{{/if}}', 'both'],
    ['{{eq groups.web empty}}', 'true'],
  ] as const) t.equal(r(tpl), want, tpl);
  throwsTpl(t, () => r('{{lt name 1}}'), /lt: cannot compare string with number/);
  t.equal(r('{{lookup hostvars "e2"}}'), '[object Object]');
  t.equal(r('{{lookup (lookup hostvars "e2") "ip"}}'), '10.0.0.2');
  t.equal(r('{{to_json cfg}}'), '{"data_dir":"/var/lib/etcd","tls":{"enabled":true}}');
  t.equal(r('{{to_json groups.web 2}}'), '[]');
  t.equal(r('{{to_json cfg.tls indent=2}}'), '{\n  "enabled": true\n}');
  t.equal(r('{{to_yaml cfg}}'), 'data_dir: /var/lib/etcd\ntls:\n  enabled: true\n');
  t.equal(r('{{b64encode "hé"}}'), Buffer.from('hé').toString('base64'));
  t.equal(r('{{b64decode (b64encode name)}}'), 'etcd');
  throwsTpl(t, () => r('{{b64decode "!!"}}'), /b64decode: not valid base64/);
  t.equal(r('{{upper name}}'), 'ETCD');
  t.equal(r('{{lower "AbC"}}'), 'abc');
  t.equal(r('{{trim "  x \n"}}'), 'x');
  t.equal(r('{{len groups.etcd}}'), '3');
  t.equal(r('{{len name}}'), '4');
  t.equal(r('{{len cfg}}'), '2');
  throwsTpl(t, () => r('{{len port}}'), /len: number has no length/);
  t.equal(r('{{first groups.etcd}}-{{last groups.etcd}}'), 'e1-e3');
  throwsTpl(t, () => r('{{first port}}'), /first: expected a list, got number/);
  t.equal(r('{{replace "a.b.c" "." "/"}}'), 'a/b/c');
  t.equal(te.renderValue('{{ int "2379" }}', vars, 'f'), 2379, 'int: a native number');
  t.equal(te.renderValue('{{ int port }}', vars, 'f'), 2379);
  throwsTpl(t, () => r('{{int "12a"}}'), /int: not an integer: '12a'/);
  throwsTpl(t, () => r('{{int cfg}}'), /int: not an integer: mapping/);
  t.same(te.renderValue('{{ extract groups.etcd hostvars "ip" }}', vars, 'f'), ['10.0.0.1', '10.0.0.2', '10.0.0.3'], 'extract: a native list');
  t.same(te.renderValue('{{ extract (keys cfg) cfg }}', vars, 'f'), ['/var/lib/etcd', { enabled: true }], 'extract without a key');
  throwsTpl(t, () => r('{{extract groups.etcd hostvars "fqdn"}}'), /extract: 'e1' has no 'fqdn'/);
  throwsTpl(t, () => r('{{extract groups.etcd cfg}}'), /extract: 'e1' is not in the mapping/);
  throwsTpl(t, () => r('{{extract port hostvars}}'), /extract: expected a list, got number/);
  throwsTpl(t, () => r('{{extract groups.etcd port}}'), /extract: expected a mapping to look items up in, got number/);
  t.equal(r('{{indent text 2}}'), 'line1\n  line2\n\n  line4');
  t.equal(r('{{indent text 2 first=true}}'), '  line1\n  line2\n\n  line4');
  t.equal(r('{{indent "a\nb"}}'), 'a\n    b');
  t.equal(r('{{quote "it\'s"}}'), `'it'\\''s'`);
  t.equal(r('{{quote cfg.data_dir}}'), '/var/lib/etcd');
  t.equal(r('{{quote ""}}'), "''");
  t.equal(r('{{contains groups.etcd "e2"}}'), 'true');
  t.equal(r('{{contains name "tc"}}'), 'true');
  t.equal(r('{{contains cfg "tls"}}'), 'true');
  t.equal(r('{{contains groups.etcd "zz"}}'), 'false');
  throwsTpl(t, () => r('{{contains port 1}}'), /contains: expected a list, string or mapping/);
  t.equal(r('{{join (keys cfg) " "}}'), 'data_dir tls');
  throwsTpl(t, () => r('{{keys groups.etcd}}'), /keys: expected a mapping, got list/);
  throwsTpl(t, () => r('{{join name}}'), /join: expected a list, got string/);
  throwsTpl(t, () => r('{{replace "a" "b"}}'), /'replace' takes 3 argument\(s\), got 2/);
  throwsTpl(t, () => r('{{and}}'), /unexpected 'and'/, undefined);
});

t.test('unknown helpers, forbidden names, partials', async (t) => {
  throwsTpl(t, () => r('x {{jion groups.etcd ","}}'), /^unknown helper 'jion'$/, { line: 1, col: 3 }, /did you mean 'join'/);
  throwsTpl(t, () => r('{{#if (eqq a b)}}{{/if}}'), /unknown helper 'eqq'/, undefined, /did you mean 'eq'/);
  throwsTpl(t, () => r('{{constructor}}'), /access to 'constructor' is not allowed/);
  throwsTpl(t, () => r('{{cfg.__proto__}}'), /access to '__proto__' is not allowed/);
  throwsTpl(t, () => r('{{lookup cfg "constructor"}}'), /access to 'constructor' is not allowed/, { col: 1 });
  throwsTpl(t, () => te.renderValue('{{lookup cfg "__proto__"}}', vars, 'f'), /access to '__proto__' is not allowed/);
  throwsTpl(t, () => r('{{> part}}'), /partials and decorators/);
  // inherited names are not variables (and Handlebars must not print its prototype warning)
  const warn = console.error;
  const logged: unknown[] = [];
  console.error = (...a: unknown[]) => void logged.push(a);
  try {
    throwsTpl(t, () => r('{{toString}}'), /^undefined variable 'toString'$/, { col: 3 });
    throwsTpl(t, () => r('{{cfg.valueOf}}'), /cfg\.valueOf is undefined/);
    throwsTpl(t, () => r('{{#each groups.etcd}}{{../hasOwnProperty}}{{/each}}'), /undefined variable '\.\.\/hasOwnProperty'/);
    throwsTpl(t, () => r('{{#if groups.etcd.map}}{{/if}}'), /undefined variable 'groups\.etcd\.map'/);
    throwsTpl(t, () => r('{{@root.toString}}'), /undefined variable '@root\.toString'/);
    t.equal(r('{{valueOf}}', { valueOf: 'own' }), 'own', 'an own property of that name is fine');
    t.equal(r('{{groups.etcd | length}}'), '3');
  } finally {
    console.error = warn;
  }
  t.same(logged, [], 'no Handlebars prototype-access warning');
});

t.test('parse errors carry file and line', async (t) => {
  throwsTpl(t, () => te.render('a\n{{#if x}}unclosed', vars, 't.hbs', 5), /template syntax error: unexpected end of template/, { file: 't.hbs', line: 7 });
  throwsTpl(t, () => r('{{#if on}}x{{/each}}'), /template syntax error: if doesn't match each/, { line: 1, col: 4 });
  t.equal(r("line1\n{{ x | default('a') }}"), 'line1\na', 'Jinja: the string has no Handlebars-only syntax');
  // Handlebars markers inside a quoted string are text, not syntax
  t.equal(r("{{ nope | default('not on this host') }}"), 'not on this host', "Jinja: 'this' in a string literal");
  t.equal(r('{{ nope | default("@root and ../up") }}'), '@root and ../up', 'Jinja: @ and ../ in a string literal');
  t.equal(r('{{#each xs}}{{this}}{{/each}}', { xs: [1, 2] }), '12', 'Handlebars: this outside quotes');
  throwsTpl(t, () => r('{{ }}'), /empty expression/, { line: 1 });
  throwsTpl(t, () => r('{{#if x}}{{ x | upper }}{{/if}}'), /Jinja syntax .* in a Handlebars template/, { line: 1 });
});

t.test('isolated instances and caching', async (t) => {
  const a = new TemplateEngine();
  const b = new TemplateEngine();
  t.equal(a.render('{{upper "x"}}', {}, 'f'), 'X');
  t.equal(b.render('{{upper "x"}}', {}, 'f'), 'X');
  t.equal(a.render('{{n}}', { n: 1 }, 'f'), '1');
  t.equal(a.render('{{n}}', { n: 2 }, 'f'), '2', 'cached template, fresh vars');
});

t.test('one parse per text: the load-time check reads the tree, the engine then takes it', async (t) => {
  const text = '{{#each members as |m|}}{{m.name}};{{/each}} {{ port }}';
  const tree = parsedTree(text);
  t.equal(parsedTree(text), tree, 'read-only users share one parse');
  t.equal(takeTree(text), tree, 'the compiler takes that tree');
  t.not(takeTree(text), tree, 'once: taken again, it is a new parse (the engine rewrites what it compiles)');
  parsedTree(text);
  t.equal(new TemplateEngine().render(text, vars, 'f'), 'a;b; 2379', 'rendered from the shared tree as from its own');
  t.not(parsedTree(text), tree, 'the check never sees a tree the engine rewrote');
  // a parse error found by the check is the engine's error too, with the engine's location
  const bad = 'x\n{{#if on}}unclosed';
  t.ok(parsedTree(bad) instanceof Error);
  throwsTpl(t, () => new TemplateEngine().render(bad, vars, 't.hbs', 5), /template syntax error: unexpected end of template/, { file: 't.hbs', line: 7 });
  throwsTpl(t, () => new TemplateEngine().render(bad, vars, 't.hbs', 5), /template syntax error: unexpected end of template/, { file: 't.hbs', line: 7 });
});

t.test("languageOf decides once per text; an error is raised at each caller's location", async (t) => {
  const hbs = '{{#if on}}{{ port }}{{/if}}';
  t.equal(languageOf(hbs), 'handlebars');
  t.equal(languageOf(hbs), 'handlebars', 'again, decided');
  t.equal(languageOf(hbs, 'x.j2'), 'jinja', 'the extension still decides first');
  t.equal(languageOf('{{ port }}', 'conf.hbs'), 'handlebars');
  t.equal(languageOf('{{ port }}'), 'jinja', 'by text: the .hbs decision is not the string one');
  const mixed = '{{#if x}}{{ x | upper }}{{/if}}';
  for (const line of [3, 9]) {
    try {
      languageOf(mixed, undefined, { file: 'a.yml', line });
      t.fail('mixed syntax accepted');
    } catch (e) {
      t.match((e as TemplateError).loc, { file: 'a.yml', line }, `error at line ${line}`);
    }
  }
});

t.test('compiled templates are cached and reused (speed itself is measured by the bench, not here)', async (t) => {
  const args: Record<string, string> = {};
  for (let i = 0; i < 10; i++) args[`k${i}`] = i % 2 ? `{{ name }}-${i}:{{port}}` : `{{ cfg.data_dir }}`;
  const first = te.renderValue(args, vars, 'f');
  const second = te.renderValue(args, vars, 'f');
  t.same(second, first, 'same result from the cache');
  t.equal(te.renderValue('no templates here', vars, 'f'), 'no templates here', 'fast path: plain strings untouched');
});

// issue 11 item 5: no helper writes outside the rendered text (Handlebars' `log` printed values unmasked)
t.test("Handlebars' log helper is gone; the builtins still reachable are the documented ones", async (t) => {
  const e = new TemplateEngine();
  const printed: unknown[] = [];
  const saved = { log: console.log, info: console.info, error: console.error, warn: console.warn, debug: console.debug };
  for (const k of Object.keys(saved) as Array<keyof typeof saved>) console[k] = (...a: unknown[]) => void printed.push(a);
  try {
    t.throws(() => e.render('{{log pw}}', { pw: 'log-secret-1' }, 'f.hbs'), /unknown helper 'log'/);
    t.throws(() => e.renderString('{{log pw level="error"}}', { pw: 'log-secret-1' }, 'f.hbs'), /unknown helper 'log'/);
  } finally {
    Object.assign(console, saved);
  }
  t.same(printed, [], 'nothing printed');
  t.equal(e.render('{{log}}', { log: 'a variable named log' }, 'f'), 'a variable named log', 'a variable of that name still works');
  // Handlebars' builtins still reachable (justified one by one in docs/security.md, Templates) and bosun's own
  const builtins = ['blockHelperMissing', 'each', 'helperMissing', 'if', 'lookup', 'unless', 'with'];
  const ours = ['and', 'b64decode', 'b64encode', 'bosun-path', 'bosun-value', 'contains', 'default', 'env_dq', 'eq', 'extract', 'first', 'ge', 'gt', 'indent', 'int', 'join', 'keys', 'last', 'le', 'len', 'lower', 'lt', 'ne', 'not', 'or', 'quote', 'replace', 'to_json', 'to_yaml', 'trim', 'upper'];
  t.same(e.helperNames(), [...builtins, ...ours].sort(), 'a new helper is a decision: add it here and to docs/security.md');
  // the language rule (template-lang.ts) must know every helper, or `{{ int x }}` reads as an unknown helper
  const internal = ['blockHelperMissing', 'helperMissing', 'bosun-path', 'bosun-value'];
  t.same([...HANDLEBARS_HELPERS].sort(), e.helperNames().filter((n) => !internal.includes(n)).sort(), 'template-lang.ts knows every helper');
});
