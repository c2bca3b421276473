import t from 'tap';
import { parse } from 'yaml';
import { editYaml, parseMappingDocument, YamlEditError } from '../../../lib/modules/util/yaml-edit.js';

const ETCD = {
  settings: {
    'etcd-servers': ['node1.x.test', 'node2.x.test'],
    'etcd-client-port': 2379,
    'etcd-protocol': 'https',
    'etcd-ca-cert': '/etc/etcd/etcd-ca.crt',
    'etcd-auth-type': 'password',
  },
};
const EDIT = { set: ETCD, defaults: { type: 'slurm' }, exclusive: ['settings'] };

// pcocc's sample batch.yaml shape: 4-space indentation, comments on every key, an operator's type.
const OPERATOR = `# Batch manager
type: local   # not slurm on this front-end
settings:
    # List of etcd servers
    etcd-servers:
        - etcd1
        - etcd2
    # CA certificate
    etcd-ca-cert: /etc/etcd/etcd-ca.crt
    # Client port
    etcd-client-port: "2379"
    etcd-protocol: http
    etcd-auth-type: password
    etcd-cert: /old/setting   # not allowed by pcocc's schema
`;

t.test('an operator file: only the etcd keys change, type and comments stay', async (t) => {
  const r = editYaml(OPERATOR, EDIT);
  t.same(r.changed, ['settings.etcd-servers', 'settings.etcd-client-port', 'settings.etcd-protocol', '-settings.etcd-cert']);
  t.same(parse(r.text), { type: 'local', ...ETCD }, 'the data');
  t.same(r.value, parse(r.text), 'value is the document written');
  for (const c of ['# Batch manager', '# not slurm on this front-end', '# List of etcd servers', '# CA certificate', '# Client port']) {
    t.ok(r.text.includes(c), `comment kept: ${c}`);
  }
  t.match(r.text, /etcd-client-port: 2379\n/, 'a quoted string replaced by the integer');
  t.notMatch(r.text, /etcd-cert:|not allowed/, 'the key outside the schema and its comment are gone');
  // Keys keep their order: type, then settings with servers first.
  t.ok(r.text.indexOf('type:') < r.text.indexOf('settings:') && r.text.indexOf('etcd-servers') < r.text.indexOf('etcd-ca-cert'));

  const again = editYaml(r.text, EDIT);
  t.same(again.changed, [], 'second edit: nothing to change');
  t.equal(again.text, r.text, 'byte for byte');
});

t.test('absent, empty and comment-only files', async (t) => {
  const fresh = editYaml(undefined, EDIT);
  t.same(parse(fresh.text), { type: 'slurm', ...ETCD });
  t.same(fresh.changed, ['type', 'settings']);
  t.match(fresh.text, /^type: slurm\nsettings:\n {2}etcd-servers:\n {4}- node1\.x\.test\n/, 'block style');
  t.equal(editYaml('', EDIT).text, fresh.text, 'an empty file is an empty mapping');
  const commented = editYaml('# kept\n', EDIT);
  t.match(commented.text, /^# kept\n/);
  t.same(parse(commented.text), { type: 'slurm', ...ETCD });
  const nullTop = editYaml('~\n', { set: { a: 1 } });
  t.same(parse(nullTop.text), { a: 1 }, 'a null document becomes a mapping');
  t.same(editYaml('settings:\n', EDIT).value, { settings: ETCD.settings, type: 'slurm' }, 'an empty settings: is replaced');
});

t.test('defaults never replace; set merges mappings and replaces the rest', async (t) => {
  const r = editYaml('type: local\nextra: {keep: 1}\nlist: [1, 2]\n', { defaults: { type: 'slurm', other: 'x' }, set: { extra: { add: 2 }, list: [3] } });
  t.same(r.value, { type: 'local', extra: { keep: 1, add: 2 }, list: [3], other: 'x' });
  t.same(r.changed, ['other', 'extra.add', 'list']);
  const nested = editYaml('a: {b: {c: 1}}\n', { defaults: { a: { b: { d: 2, c: 9 } } } });
  t.same(nested.value, { a: { b: { c: 1, d: 2 } } }, 'defaults recurse into existing mappings');
  const scalarToMap = editYaml('settings: none\n', { set: { settings: { a: 1 } } });
  t.same(scalarToMap.value, { settings: { a: 1 } }, 'a scalar where a mapping is wanted is replaced');
  const nullDefault = editYaml('type:\n', { defaults: { type: 'slurm' } });
  t.same(nullDefault.value, { type: 'slurm' }, 'a null value counts as missing for defaults');
});

t.test('exclusive keeps the keys named in set or defaults; a missing path is ignored', async (t) => {
  const r = editYaml('s:\n  a: 1\n  b: 2\n  c: 3\n', { set: { s: { a: 1 } }, defaults: { s: { b: 0 } }, exclusive: ['s', 'nowhere.deep'] });
  t.same(r.value, { s: { a: 1, b: 2 } });
  t.same(r.changed, ['-s.c']);
});

t.test('comments and spacing of a replaced value are kept', async (t) => {
  const r = editYaml('a: 1 # one\n\n# before b\nb: 2\n', { set: { a: 5, b: 6 } });
  t.match(r.text, /a: 5 # one\n\n# before b\nb: 6\n/);
});

t.test('what is not one YAML mapping is refused with line and column', async (t) => {
  const cases: Array<[string, RegExp, number | undefined]> = [
    ['a: [1,\n', /^invalid YAML: /, 2],
    ['- 1\n- 2\n', /top level is a list, not a mapping/, 1],
    ['just text\n', /top level is a scalar, not a mapping/, 1],
    ['a: 1\n---\nb: 2\n', /holds 2 YAML documents/, undefined],
  ];
  for (const [text, msg, line] of cases) {
    const e = t.throws(() => editYaml(text, { set: { x: 1 } })) as unknown as YamlEditError;
    t.type(e, YamlEditError);
    t.match(e.message, msg);
    t.equal(e.line, line, `line of ${JSON.stringify(text)}`);
  }
  t.equal(parseMappingDocument('k: v\n').toJS().k, 'v');
});
