// The load-time check's cache (lib/engine/check-cache.ts): a second check of the same texts is
// answered from the entry, an edited text is worked out afresh, a torn entry is ignored, entries are
// private, BOSUN_CHECK_CACHE=0 turns it off, and nothing from a file that may hold secrets is kept.
import t, { type Test } from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = mkdtempSync(join(tmpdir(), 'bosun-check-cache-'));
process.env.BOSUN_CACHE_DIR = join(base, 'cache');
delete process.env.BOSUN_CHECK_CACHE;
t.teardown(() => rmSync(base, { recursive: true, force: true }));
const { loadPlaybook } = await import('../../lib/loaders/playbook.js');
const { Inventory } = await import('../../lib/loaders/inventory.js');
const { checkUndefinedVariables, templateRoots } = await import('../../lib/engine/static-check.js');
const { registerFilter } = await import('../../lib/engine/jinja/index.js');
const cacheDir = join(base, 'cache', 'check');
const entries = (): string[] => {
  try {
    return readdirSync(cacheDir).filter((n) => !n.endsWith('.tmp'));
  } catch {
    return [];
  }
};

// Handlebars and Jinja strings, a template file, and a text with no template at all
const PLAY = `- hosts: localhost
  vars: { port: 2379, peers: [a, b] }
  tasks:
    - debug: { msg: "port {{ port }}" }
    - debug: { msg: "{{#each peers}}{{this}},{{/each}} {{ join peers ',' }}" }
    - template: { src: conf.hbs, dest: /tmp/x }
    - debug: { msg: plain text }
`;

/** A playbook in its own directory (files 0644 unless `mode`), and a function that checks it. */
async function setup(t: Test, play = PLAY, mode = 0o644, files: Record<string, string> = { 'templates/conf.hbs': 'listen {{ port }}\n' }) {
  const dir = mkdtempSync(join(base, 'pb-'));
  const write = (name: string, text: string): string => {
    const f = join(dir, name);
    mkdirSync(join(f, '..'), { recursive: true });
    writeFileSync(f, text);
    chmodSync(f, mode);
    return f;
  };
  const file = write('play.yml', play);
  for (const [n, text] of Object.entries(files)) write(n, text);
  const check = async (): Promise<void> => {
    const { playbook, definedNames } = await loadPlaybook(file);
    checkUndefinedVariables(playbook, Inventory.empty({ playbookDir: dir }), definedNames, {}, undefined);
  };
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, file, write, check };
}

/** A text's answer as the entry stores it, worked out without the cache. */
const answer = (text: string, file?: string): unknown => [null, templateRoots(text, file).map((r) => [r.name, r.line, r.col])];

/** The entries written since `before`. */
const newEntries = (before: string[]): string[] => entries().filter((n) => !before.includes(n));

/** Rewrites every answer of an entry to read `name` (what a check that answers from the entry then reports). */
function plant(entry: string, name: string): void {
  const p = join(cacheDir, entry);
  const o = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  for (const k of Object.keys(o)) o[k] = [null, [[name, 1, 4]]];
  writeFileSync(p, JSON.stringify(o), { mode: 0o600 });
}

t.test('hit: a second check answers from the entry; an unchanged run writes nothing', async (t) => {
  const pb = await setup(t);
  const before = entries();
  await pb.check();
  const [entry, ...more] = newEntries(before);
  t.ok(entry, 'one entry written');
  t.same(more, [], 'only one');
  const stored = JSON.parse(readFileSync(join(cacheDir, entry!), 'utf8')) as Record<string, unknown>;
  t.equal(Object.keys(stored).length, 3, 'the three templates (two strings, one file); not the plain text');
  const json = (xs: unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();
  t.same(json(Object.values(stored)), json([answer('port {{ port }}'), answer("{{#each peers}}{{this}},{{/each}} {{ join peers ',' }}"), answer('listen {{ port }}\n', 'conf.hbs')]));
  t.same(answer('listen {{ port }}\n', 'conf.hbs'), [null, [['port', 1, 11]]], 'names with their positions');
  const mtime = statSync(join(cacheDir, entry!)).mtimeMs;
  await pb.check();
  t.equal(statSync(join(cacheDir, entry!)).mtimeMs, mtime, 'nothing new: not rewritten');
  // the proof that the answers come from the entry: planted ones are what the check then reports
  plant(entry!, 'planted_name');
  await t.rejects(pb.check(), /undefined variable 'planted_name'/);
});

t.test('miss: an edited text is worked out afresh, never answered by its old entry', async (t) => {
  const pb = await setup(t);
  const before = entries();
  await pb.check();
  const [entry] = newEntries(before);
  // the same playbook file, one text edited to read an undefined name
  pb.write('play.yml', PLAY.replace('port {{ port }}', 'port {{ prot }}'));
  await t.rejects(pb.check(), /undefined variable 'prot' in "port \{\{ prot \}\}"/);
  const stored = JSON.parse(readFileSync(join(cacheDir, entry!), 'utf8')) as Record<string, unknown>;
  t.ok(Object.values(stored).some((v) => JSON.stringify(v) === JSON.stringify(answer('port {{ prot }}'))), 'the new text was added to the entry');
  // a template file edited: a syntax error found at once, with its message as without the cache
  pb.write('play.yml', PLAY);
  pb.write('templates/conf.hbs', 'listen {{#if port}}\n');
  const err = await pb.check().then(
    () => undefined,
    (e: Error) => e,
  );
  t.match(err?.message, /template syntax error: .*Expecting/);
  process.env.BOSUN_CHECK_CACHE = '0';
  const fresh = await pb.check().then(
    () => undefined,
    (e: Error) => e,
  );
  delete process.env.BOSUN_CHECK_CACHE;
  t.equal(err?.message, fresh?.message, 'same message from the cache as without it');
  t.same((err as { loc?: unknown })?.loc, (fresh as { loc?: unknown })?.loc, 'same location');
});

t.test('errors read back from the entry are the errors a fresh check gives', async (t) => {
  const play = PLAY.replace('"port {{ port }}"', '"{{ port | nosuchfilter }}"');
  const pb = await setup(t, play);
  const messages: string[] = [];
  for (const off of ['0', undefined, undefined]) {
    if (off) process.env.BOSUN_CHECK_CACHE = off;
    else delete process.env.BOSUN_CHECK_CACHE;
    await pb.check().then(
      () => messages.push('passed'),
      (e: Error & { loc?: unknown }) => messages.push(`${e.message} @ ${JSON.stringify(e.loc)}`),
    );
  }
  t.match(messages[0], /template syntax error in .*unknown filter 'nosuchfilter'/);
  t.same(messages, [messages[0], messages[0], messages[0]], 'off, miss and hit agree');
});

t.test('the tables are part of the key: a filter registered later is known, not refused from the entry', async (t) => {
  const play = PLAY.replace('"port {{ port }}"', '"{{ port | checkcache_test_filter }}"');
  const pb = await setup(t, play);
  await t.rejects(pb.check(), /unknown filter 'checkcache_test_filter'/);
  registerFilter('checkcache_test_filter', (v: unknown) => v);
  await t.resolves(pb.check());
});

t.test('a torn or foreign entry is ignored and rewritten', async (t) => {
  const pb = await setup(t);
  const before = entries();
  await pb.check();
  const [entry] = newEntries(before);
  const p = join(cacheDir, entry!);
  const good = readFileSync(p, 'utf8');
  writeFileSync(p, good.slice(0, 20), { mode: 0o600 });
  await t.resolves(pb.check(), 'a torn entry: checked afresh');
  t.same(JSON.parse(readFileSync(p, 'utf8')), JSON.parse(good), 'and rewritten whole');
  // well-formed JSON, wrong shapes: each answer is worked out again
  const o = JSON.parse(good) as Record<string, unknown>;
  const keys = Object.keys(o);
  o[keys[0]!] = 'junk';
  o[keys[1]!] = [null, [['x', 'one', 4]]];
  o[keys[2]!] = ['not a syntax error', 'no roots'];
  writeFileSync(p, JSON.stringify(o), { mode: 0o600 });
  await t.resolves(pb.check());
  t.same(JSON.parse(readFileSync(p, 'utf8')), JSON.parse(good));
  writeFileSync(p, '[1, 2, 3]', { mode: 0o600 });
  await t.resolves(pb.check());
  t.same(JSON.parse(readFileSync(p, 'utf8')), JSON.parse(good));
});

t.test('private: the directory 0700 and entries 0600, or no cache at all', async (t) => {
  const pb = await setup(t);
  const before = entries();
  await pb.check();
  const [entry] = newEntries(before);
  t.equal(statSync(cacheDir).mode & 0o777, 0o700, 'directory 0700');
  t.equal(statSync(join(cacheDir, entry!)).mode & 0o777, 0o600, 'entry 0600');
  t.same(readdirSync(cacheDir).filter((n) => n.endsWith('.tmp')), [], 'no temp files left');
  // a directory others can read is not used: nothing read from it, nothing written to it
  plant(entry!, 'planted_name');
  chmodSync(cacheDir, 0o755);
  t.teardown(() => chmodSync(cacheDir, 0o700));
  await t.resolves(pb.check(), 'the planted entry is not read');
  const other = await setup(t);
  const n = entries().length;
  await other.check();
  t.equal(entries().length, n, 'and no entry written');
  chmodSync(cacheDir, 0o700);
  await t.rejects(pb.check(), /planted_name/, 'private again: used');
});

t.test('BOSUN_CHECK_CACHE=0 (or off): neither read nor written, as the other caches', async (t) => {
  const pb = await setup(t);
  const before = entries();
  await pb.check();
  const [entry] = newEntries(before);
  plant(entry!, 'planted_name');
  for (const off of ['0', 'off']) {
    process.env.BOSUN_CHECK_CACHE = off;
    await t.resolves(pb.check(), `${off}: the entry is not read`);
    const other = await setup(t);
    const n = entries().length;
    await other.check();
    t.equal(entries().length, n, `${off}: nothing written`);
  }
  delete process.env.BOSUN_CHECK_CACHE;
  await t.rejects(pb.check(), /planted_name/, 'on again: used');
});

t.test('nothing from a file that may hold secrets', async (t) => {
  // a playbook only its owner can read: its texts are checked, never kept
  const priv = await setup(t, PLAY, 0o600);
  const before = entries();
  await priv.check();
  t.same(newEntries(before), [], '0600 playbook and template: no entry');
  // a world-readable playbook with a 0600 template file: the strings are kept, the file's text is not
  const mixed = await setup(t);
  chmodSync(join(mixed.dir, 'templates/conf.hbs'), 0o600);
  await mixed.check();
  const [entry] = newEntries(before);
  const stored = JSON.parse(readFileSync(join(cacheDir, entry!), 'utf8')) as Record<string, unknown>;
  t.equal(Object.keys(stored).length, 2, 'the two strings');
  t.notOk(Object.keys(stored).some((k) => k.startsWith('f')), 'no template file');
  // a task file with vault data is not kept by the YAML cache: neither are the answers about its texts
  const vaulted = await setup(t, PLAY.replace('vars: { port: 2379, peers: [a, b] }', 'vars: { port: 2379, peers: [a, b], pw: "$ANSIBLE_VAULT not really" }'));
  const known = entries();
  await vaulted.check();
  const [v] = newEntries(known);
  const keys = Object.keys(JSON.parse(readFileSync(join(cacheDir, v!), 'utf8')) as object);
  t.same(keys.map((k) => k[0]), ['f'], 'only the (world-readable, vault-free) template file: no string of the playbook');
});
