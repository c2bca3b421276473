// archive on this machine (LocalConnection as the host): formats, arcroot naming, idempotence by
// content (a rerun and a touched mtime change nothing), check mode, single-file compression,
// exclude_path, remove.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import archive, { type ArchiveArgs } from '../../lib/modules/archive.js';
import { validateArgs } from '../../lib/modules/args.js';
import { ModuleFailure } from '../../lib/errors.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: Record<string, unknown>) => validateArgs(archive, raw, {}) as unknown as ArchiveArgs;
const list = (file: string): string[] => spawnSync('python3', ['-c', 'import tarfile,zipfile,sys\nf=sys.argv[1]\nprint("\\n".join(sorted(zipfile.ZipFile(f).namelist() if zipfile.is_zipfile(f) else tarfile.open(f).getnames())))', file]).stdout.toString().trim().split('\n');

function tree(dir: string): string {
  const conf = join(dir, 'etc', 'app');
  mkdirSync(join(conf, 'sub'), { recursive: true });
  writeFileSync(join(conf, 'a.conf'), 'a=1\n');
  writeFileSync(join(conf, 'sub', 'b.conf'), 'b=2\n');
  writeFileSync(join(conf, 'debug.log'), 'noise\n');
  symlinkSync('a.conf', join(conf, 'current'));
  return conf;
}

t.test('a tree in every format, named under arcroot, idempotent by content', async (t) => {
  const dir = t.testdir({ out: {} });
  const conf = tree(dir);
  for (const [format, ext] of [['gz', 'tar.gz'], ['bz2', 'tar.bz2'], ['xz', 'tar.xz'], ['tar', 'tar'], ['zip', 'zip']] as const) {
    const dest = join(dir, 'out', `app.${ext}`);
    const a = args({ path: [conf], dest, format, exclude_path: [join(conf, 'debug.log')] });
    const c = await runTask(archive, moduleContext({ check: true }), a);
    t.equal(c.outcome.changed, true, `${format}: check predicts`);
    t.notOk(existsSync(dest), `${format}: check writes nothing`);
    const r = await runTask(archive, moduleContext(), a);
    t.equal(r.outcome.changed, true);
    t.equal(r.outcome.result?.arcroot, join(dir, 'etc') + '/');
    t.same(list(dest).map((n) => n.replace(/\/$/, '')), ['app', 'app/a.conf', 'app/current', 'app/sub', 'app/sub/b.conf'], `${format}: members`);
    const ctx = moduleContext();
    t.equal((await runTask(archive, ctx, a)).outcome.changed, false, `${format}: rerun ok`);
    t.equal(ctx.conn.stats.requests, 1, `${format}: no-op in one request`);
  }
  const dest = join(dir, 'out', 'app.tar.gz');
  const a = args({ path: [conf], dest, exclude_path: [join(conf, 'debug.log')] });
  utimesSync(join(conf, 'a.conf'), new Date('2001-01-01'), new Date('2001-01-01'));
  t.equal((await runTask(archive, moduleContext(), a)).outcome.changed, false, 'a new mtime is not a change');
  writeFileSync(join(conf, 'a.conf'), 'a=changed\n');
  t.equal((await runTask(archive, moduleContext({ check: true }), a)).outcome.changed, true, 'check: content change predicted');
  t.equal((await runTask(archive, moduleContext(), { ...a, mode: '0600' })).outcome.changed, true);
  t.equal(statSync(dest).mode & 0o777, 0o600);
});

t.test('single file compression, globs, remove, errors', async (t) => {
  const dir = t.testdir({ logs: { 'x.log': 'x\n', 'y.log': 'y\n', 'keep.txt': 'k\n' }, 'big.sql': 'select 1;\n' });
  const r = await runTask(archive, moduleContext(), args({ path: [join(dir, 'big.sql')] }));
  t.equal(r.outcome.result?.dest, join(dir, 'big.sql.gz'));
  t.equal(r.outcome.result?.dest_state, 'compress');
  t.equal(gunzipSync(readFileSync(join(dir, 'big.sql.gz'))).toString(), 'select 1;\n');
  t.equal((await runTask(archive, moduleContext(), args({ path: [join(dir, 'big.sql')] }))).outcome.changed, false);

  const g = await runTask(archive, moduleContext(), args({ path: [join(dir, 'logs', '*.log')], dest: join(dir, 'logs.zip'), format: 'zip', remove: true }));
  t.equal(g.outcome.changed, true);
  t.same(list(join(dir, 'logs.zip')), ['x.log', 'y.log']);
  t.same(readdirSync(join(dir, 'logs')), ['keep.txt'], 'sources removed, the rest kept');

  const e1 = await runTask(archive, moduleContext(), args({ path: [join(dir, 'nothing*')], dest: join(dir, 'n.tgz') })).catch((x: unknown) => x);
  t.ok(e1 instanceof ModuleFailure);
  t.equal((e1 as Error).message, 'Error, no source paths were found');
  const e2 = await runTask(archive, moduleContext(), args({ path: [join(dir, 'logs')] })).catch((x: unknown) => x);
  t.equal((e2 as Error).message, 'Error, must specify "dest" when archiving multiple files or trees');
});
