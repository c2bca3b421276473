// The parsed-YAML cache gives back exactly what a fresh parse gives (values and every position),
// and never stores what it must not: vault data, files other users cannot read, values JSON would change.
import t from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = mkdtempSync(join(tmpdir(), 'bosun-yaml-cache-'));
process.env.BOSUN_CACHE_DIR = join(base, 'cache');
delete process.env.BOSUN_YAML_CACHE;
t.teardown(() => rmSync(base, { recursive: true, force: true }));
const { loadYamlFile, parseYaml, locOf, keyLoc } = await import('../../lib/loaders/yaml.js');
const cacheDir = join(base, 'cache', 'yaml');
const entries = (): string[] => readdirSync(cacheDir).filter((n) => !n.endsWith('.tmp'));

const PLAYBOOK = `# a play
- name: demo
  hosts: all
  vars:
    port: 2379
    flag: yes
    on: 1
    ratio: 1.5
    mode: 0644
    empty:
    list: [a, 1, {x: y}]
    anchor: &base {k: 1, j: [2, 3]}
    merged:
      <<: *base
      j: 4
  tasks:
    - name: one
      debug: msg="{{ port }}"
    - copy:
        content: |
          two lines
          of text
        dest: /tmp/x
`;

/** Every value with the positions registered for it (mapping/sequence and each key), in tree order. */
function walk(v: unknown, path = '$', out: Array<[string, unknown]> = []): Array<[string, unknown]> {
  if (v && typeof v === 'object') {
    out.push([path, locOf(v)]);
    for (const [k, x] of Object.entries(v)) {
      out.push([`${path}.${k}@key`, keyLoc(v, k)]);
      walk(x, `${path}.${k}`, out);
    }
  } else out.push([path, v]);
  return out;
}

t.test('a cached parse equals a fresh one, positions included', async (t) => {
  const dir = mkdtempSync(join(base, 'pb-'));
  const file = join(dir, 'site.yml');
  writeFileSync(file, PLAYBOOK, { mode: 0o644 });
  chmodSync(file, 0o644);
  const fresh = parseYaml(PLAYBOOK, file);
  const first = loadYamlFile(file); // miss: parses and writes
  t.equal(entries().length, 1, 'one entry written');
  const again = loadYamlFile(file); // hit
  t.not(again.value, first.value, 'the second load came from the cache (a new object tree)');
  t.same(again.value, fresh.value);
  t.same(walk(again.value), walk(fresh.value), 'same locations for every mapping, sequence and key');
  const vars = (again.value as Array<{ vars: Record<string, unknown> }>)[0]!.vars;
  t.same(vars.flag, true, 'YAML 1.1 boolean kept');
  t.equal(vars.true, 1, 'YAML 1.1 key `on` is the boolean true, as PyYAML reads it');
  t.equal(vars.mode, 420, 'octal 0644 kept');
  t.same(vars.merged, { k: 1, j: 4 }, 'merge key resolved');
  t.match(keyLoc(vars, 'ratio'), { file, line: 8, col: 5 });

  // the entry depends on the text: an edit is a miss, not a stale value
  writeFileSync(file, PLAYBOOK.replace('2379', '2380'));
  const edited = loadYamlFile(file);
  t.equal((edited.value as Array<{ vars: { port: number } }>)[0]!.vars.port, 2380);
  t.equal(entries().length, 2);
});

t.test('what is never cached', async (t) => {
  const dir = mkdtempSync(join(base, 'nc-'));
  const before = entries().length;
  const write = (name: string, text: string, mode = 0o644): string => {
    const f = join(dir, name);
    writeFileSync(f, text);
    chmodSync(f, mode);
    return f;
  };
  // a file only its owner can read may hold plain-text secrets
  const priv = write('private.yml', 'db_password: hunter2\n', 0o600);
  t.same(loadYamlFile(priv).value, { db_password: 'hunter2' });
  // values JSON would not give back as they were
  t.same(loadYamlFile(write('inf.yml', 'x: .inf\n')).value, { x: Infinity });
  t.same(loadYamlFile(write('negzero.yml', 'x: -0.0\n')).value, { x: -0 });
  t.equal(entries().length, before, 'none of them written');
  for (const n of entries()) t.notMatch(readFileSync(join(cacheDir, n), 'utf8'), 'hunter2');

  // a directory other users can write to is not used at all
  const { openCacheDir } = await import('../../lib/cache-dir.js');
  const shared = join(base, 'shared-cache');
  mkdirSync(shared, { mode: 0o700 });
  t.equal(openCacheDir(shared), shared, 'private: used');
  chmodSync(shared, 0o777);
  t.equal(openCacheDir(shared), null, 'world-writable: not used');
  chmodSync(shared, 0o750);
  t.equal(openCacheDir(shared), null, 'group-readable: not used');
});

t.test('a corrupt entry is parsed again and replaced', async (t) => {
  const dir = mkdtempSync(join(base, 'bad-'));
  const file = join(dir, 'x.yml');
  writeFileSync(file, 'a: [1, 2]\n');
  chmodSync(file, 0o644);
  const known = new Set(entries());
  loadYamlFile(file);
  const entry = entries().find((n) => !known.has(n))!;
  t.ok(entry, 'entry written');
  writeFileSync(join(cacheDir, entry), '{"m": broken');
  t.same(loadYamlFile(file).value, { a: [1, 2] });
  t.same(JSON.parse(readFileSync(join(cacheDir, entry), 'utf8')).c.a.c, [{ s: 1 }, { s: 2 }], 'rewritten');
});

t.test('vault data is never written', async (t) => {
  const { cacheable } = await import('../../lib/loaders/yaml-cache.js');
  const dir = mkdtempSync(join(base, 'vault-'));
  const f = join(dir, 'v.yml');
  writeFileSync(f, 'x: 1\n');
  chmodSync(f, 0o644);
  t.equal(cacheable(f, 'pw: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3031\n'), false, 'inline !vault');
  t.equal(cacheable(f, '$ANSIBLE_VAULT;1.1;AES256\n6162\n'), false, 'an Ansible vault file');
  t.equal(cacheable(f, '$BOSUN_VAULT;1;x\n'), false, "bosun's own vault file");
  t.equal(cacheable(f, 'x: 1\n'), true, 'plain, world-readable');
  chmodSync(f, 0o640);
  t.equal(cacheable(f, 'x: 1\n'), false, 'not readable by others');
});

t.test('bounded: big files are not kept, and the oldest entries go past 1000', async (t) => {
  const { cacheable } = await import('../../lib/loaders/yaml-cache.js');
  const dir = mkdtempSync(join(base, 'big-'));
  const f = join(dir, 'big.yml');
  writeFileSync(f, 'x: 1\n');
  chmodSync(f, 0o644);
  t.equal(cacheable(f, `x: "${'a'.repeat(1 << 20)}"\n`), false, 'over 1 MiB: parsed every time');

  const { utimesSync } = await import('node:fs');
  const old = new Date(Date.now() - 3600_000);
  for (let i = 0; i < 1000; i++) {
    const p = join(cacheDir, `stale-${String(i).padStart(4, '0')}`);
    writeFileSync(p, '{"s":1}');
    utimesSync(p, old, old);
  }
  const g = join(dir, 'fresh.yml');
  writeFileSync(g, 'fresh: true\n');
  chmodSync(g, 0o644);
  loadYamlFile(g); // a miss: written, then the directory is pruned
  const left = entries();
  t.ok(left.length <= 500, `pruned to the newest half (${left.length} left)`);
  t.ok(left.length > 0 && left.some((n) => !n.startsWith('stale-')), 'the new entry is kept');
  t.same(loadYamlFile(g).value, { fresh: true });
});
