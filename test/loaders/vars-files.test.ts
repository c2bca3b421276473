import t from 'tap';
import { join } from 'node:path';
import { loadVarsFile, loadVarsDir, findVarsFiles } from '../../lib/loaders/vars-files.js';
import { MissingFileError, ParseError } from '../../lib/errors.js';

t.test('loadVarsFile: yaml, json, empty, non-mapping', async (t) => {
  const dir = t.testdir({
    'a.yml': 'x: 1\nlist: [1, 2]\n',
    'b.json': '{"y": {"z": true}}\n',
    'empty.yml': '# nothing\n',
    'list.yml': '\n- a\n- b\n',
    'scalar.json': '"just a string"\n',
    'broken.yml': 'a: [1,\n',
  });
  t.same(loadVarsFile(join(dir, 'a.yml')), { x: 1, list: [1, 2] });
  t.same(loadVarsFile(join(dir, 'b.json')), { y: { z: true } });
  t.same(loadVarsFile(join(dir, 'empty.yml')), {});
  const list = t.throws(() => loadVarsFile(join(dir, 'list.yml'))) as unknown as ParseError;
  t.equal(list.oneLine(), `${join(dir, 'list.yml')}:2:1: vars file must be a mapping of variable names to values, found a list`);
  const scalar = t.throws(() => loadVarsFile(join(dir, 'scalar.json'))) as unknown as ParseError;
  t.equal(scalar.oneLine(), `${join(dir, 'scalar.json')}:1:1: vars file must be a mapping of variable names to values, found a string ("just a string")`);
  t.throws(() => loadVarsFile(join(dir, 'broken.yml')), ParseError);
  t.throws(() => loadVarsFile(join(dir, 'missing.yml')), MissingFileError);
});

t.test('loadVarsDir: lookup order and directories', async (t) => {
  const dir = t.testdir({
    group_vars: {
      plain: 'from: no-extension\n',
      'plain.yml': 'from: yml (shadowed by the file without extension)\n',
      'web.yaml': 'from: yaml\n',
      'db.json': '{"from": "json"}',
      etcd: {
        '10-base.yml': 'port: 2379\ncfg: { a: 1, b: 2 }\nonly10: yes\n',
        '20-override.yaml': 'cfg: { b: 3 }\n',
        '30-more.json': '{"port": 12379}',
        '40-noext': 'noext: true\n',
        'notes.txt': 'skipped: true\n',
        '.hidden.yml': 'hidden: true\n',
        '50-backup.yml~': 'backup: true\n',
        sub: { '05-deep.yml': 'deep: 1\nport: 1\n' },
        'sub.d': { 'x.yml': 'dotted_dir: true\n' },
      },
    },
  });
  const gv = join(dir, 'group_vars');
  t.same(loadVarsDir(gv, 'plain'), { from: 'no-extension' }, 'first existing candidate wins, like ansible');
  t.same(loadVarsDir(gv, 'web'), { from: 'yaml' });
  t.same(loadVarsDir(gv, 'db'), { from: 'json' });
  t.equal(loadVarsDir(gv, 'nothing'), undefined);
  t.equal(loadVarsDir(join(dir, 'no_such_dir'), 'all'), undefined);
  t.same(
    findVarsFiles(gv, 'etcd').map((f) => f.slice(gv.length + 1)),
    ['etcd/10-base.yml', 'etcd/20-override.yaml', 'etcd/30-more.json', 'etcd/40-noext', 'etcd/sub/05-deep.yml'],
    'sorted by name, recursive into extension-less dirs, hidden/backup/other extensions skipped',
  );
  // hash_behaviour=replace: cfg is replaced wholesale, later files win, sub/ comes last (sorted after 40-…);
  // `yes` is YAML 1.1's true, as PyYAML (and so Ansible) reads it
  t.same(loadVarsDir(gv, 'etcd'), { port: 1, cfg: { b: 3 }, only10: true, noext: true, deep: 1 });
});
