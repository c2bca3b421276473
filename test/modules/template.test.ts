import t from 'tap';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { TemplateEngine } from '../../lib/engine/template.js';
import { repoRoot } from '../helpers/run.js';
import { join } from 'node:path';
import template, { type TemplateArgs } from '../../lib/modules/template.js';
import { validateArgs } from '../../lib/modules/args.js';
import { runTask } from '../helpers/fake-ctx.js';
import { moduleContext } from '../helpers/module-ctx.js';

const args = (raw: Record<string, unknown>) => validateArgs(template, raw, {}) as unknown as TemplateArgs;

t.test('renders with host vars; unchanged = one request; diff; atomic', async (t) => {
  const dir = t.testdir({ templates: { 'etcd.env.hbs': 'ETCD_NAME={{ name }}\nETCD_DATA_DIR=/var/lib/etcd\nQ="{{ q }}"\n' }, etc: {} });
  const vars = { name: 'etcd-1', q: `it's $x \`y\` \\z ü` };
  const opts = { baseDir: join(dir, 'templates'), vars };
  const dest = join(dir, 'etc', 'etcd');
  const a = args({ src: 'etcd.env.hbs', dest, mode: '0644', owner: 'nobody' });
  const want = `ETCD_NAME=etcd-1\nETCD_DATA_DIR=/var/lib/etcd\nQ="it's $x \`y\` \\z ü"\n`;

  const pc = await template.plan(moduleContext({ ...opts, check: true, diff: true }), a);
  t.equal(pc.changed, true);
  t.equal(pc.diff?.[0]?.after, want);
  t.same(readdirSync(join(dir, 'etc')), [], 'check-mode plan wrote nothing');

  const ctx = moduleContext(opts);
  const { outcome } = await runTask(template, ctx, a);
  t.equal(outcome.changed, true);
  t.equal(ctx.conn.stats.requests, 2);
  t.equal(readFileSync(dest, 'utf8'), want);
  t.equal((statSync(dest).mode & 0o7777).toString(8), '644');
  t.equal(statSync(dest).uid, 65534);

  const again = moduleContext({ ...opts, diff: true });
  const p2 = await template.plan(again, a);
  t.equal(p2.changed, false);
  t.equal(again.conn.stats.requests, 1);

  const other = moduleContext({ ...opts, vars: { ...vars, name: 'etcd-2' }, diff: true });
  const p3 = await template.plan(other, a);
  t.equal(p3.changed, true);
  t.equal(p3.diff?.[0]?.before, want);
  t.equal(p3.diff?.[0]?.after, want.replace('etcd-1', 'etcd-2'));
  t.same(readdirSync(join(dir, 'etc')), ['etcd'], 'no temp files');
});

t.test('errors: missing template, undefined variable', async (t) => {
  const dir = t.testdir({ 'a.hbs': '{{ missing }}' });
  await t.rejects(template.plan(moduleContext({ baseDir: dir }), args({ src: 'nope.hbs', dest: join(dir, 'x') })), { code: 'E_MISSING_FILE' });
  await t.rejects(template.plan(moduleContext({ baseDir: dir }), args({ src: 'a.hbs', dest: join(dir, 'x') })), /missing/);
  t.throws(() => args({ src: 'a.hbs' }), /missing required argument 'dest'/);
});

t.test('dest symlink without mode: a new file with the umask mode, never the link\'s 0777; follow keeps the target\'s mode', async (t) => {
  const dir = t.testdir({ templates: { 'a.hbs': 'x={{ x }}\n' }, etc: { real: 'old\n' } });
  chmodSync(join(dir, 'etc', 'real'), 0o600);
  symlinkSync('real', join(dir, 'etc', 'link'));
  symlinkSync('real', join(dir, 'etc', 'flink'));
  const opts = { baseDir: join(dir, 'templates'), vars: { x: 1 } };
  await runTask(template, moduleContext(opts), args({ src: 'a.hbs', dest: join(dir, 'etc', 'link') }));
  const st = lstatSync(join(dir, 'etc', 'link'));
  t.ok(st.isFile(), 'the link became a regular file');
  t.equal((st.mode & 0o7777).toString(8), (0o666 & ~process.umask()).toString(8));
  t.equal(readFileSync(join(dir, 'etc', 'real'), 'utf8'), 'old\n', 'target untouched');
  await runTask(template, moduleContext(opts), args({ src: 'a.hbs', dest: join(dir, 'etc', 'flink'), follow: true }));
  t.ok(lstatSync(join(dir, 'etc', 'flink')).isSymbolicLink());
  t.equal(readFileSync(join(dir, 'etc', 'real'), 'utf8'), 'x=1\n');
  t.equal((statSync(join(dir, 'etc', 'real')).mode & 0o7777).toString(8), '600');
});

t.test('roles/etcd env file: values are quoted for sh (and systemd), so a hostile value runs nothing when the init script sources it', async (t) => {
  const dir = t.testdir({});
  const marker = join(dir, 'pwned');
  const hostile = `x";touch ${marker};"\`touch ${marker}\`$(touch ${marker})\\`;
  const tpl = readFileSync(join(repoRoot, 'roles/etcd/templates/etcd.env.hbs'), 'utf8');
  const node = (n: string, fqdn: string) => ({ inventory_hostname_short: n, fqdn });
  const vars = {
    etcd_env_file: '/etc/default/etcd',
    inventory_hostname_short: 'node1',
    etcd_data_dir: '/var/lib/etcd/default',
    ip: '10.0.0.1',
    fqdn: 'node1.example.test',
    etcd_peer_port: 2380,
    etcd_client_port: 2379,
    etcd_listen_localhost: true,
    etcd_cluster_token: hostile,
    etcd_member_initial_cluster: `node1=https://node1:2380,${hostile}=https://h:2380`,
    etcd_initial_cluster_state: 'new',
    etcd_config_dir: '/etc/etcd',
    etcd_client_cert_auth: true,
    etcd_enable_v2: false,
    etcd_profile: 'strict',
    etcd_extra_env: { ETCD_X: hostile },
    etcd_group: 'etcd',
    groups: { etcd: ['node1'] },
    hostvars: { node1: node('node1', 'node1.example.test') },
  };
  const text = new TemplateEngine().render(tpl, vars, 'etcd.env.hbs');
  t.match(text, /^ETCD_NAME="node1"$/m, 'ordinary values are written as before (no change, no restart on upgrade)');
  t.match(text, /^ETCD_LISTEN_CLIENT_URLS="https:\/\/10\.0\.0\.1:2379,https:\/\/127\.0\.0\.1:2379"$/m);
  const f = join(dir, 'etcd.env');
  writeFileSync(f, text);
  const r = spawnSync('/bin/sh', ['-c', '. "$1"; printf "%s\\n%s\\n%s" "$ETCD_INITIAL_CLUSTER_TOKEN" "$ETCD_INITIAL_CLUSTER" "$ETCD_X"', 'sh', f], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, `${hostile}\nnode1=https://node1:2380,${hostile}=https://h:2380\n${hostile}`, 'sh reads back the exact values');
  t.notOk(existsSync(marker), 'nothing ran');
  // Without the escaping, the same values would have run `touch`:
  const naive = tpl.replace(/\{\{env_dq \((.*?)\)\}\}/g, '{{$1}}').replace(/\{\{env_dq ([^}]+)\}\}/g, '{{$1}}');
  writeFileSync(f, new TemplateEngine().render(naive, vars, 'etcd.env.hbs'));
  spawnSync('/bin/sh', ['-c', '. "$1"', 'sh', f]);
  t.ok(existsSync(marker), 'the check above is not vacuous: the unescaped file runs the payload');
});

t.test('newline_sequence: the template\'s own newlines (any of \\n, \\r\\n, \\r) written as asked, values keep theirs', async (t) => {
  const eng = new TemplateEngine();
  const src = 'a\r\nb\n{% if on %}\nc\r{% endif %}\n{{ v }}\n\n';
  const vars = { on: true, v: 'x\ny' };
  t.equal(eng.render(src, vars, 't.j2', 0, '\r\n'), 'a\r\nb\r\nc\r\nx\ny\r\n\r\n');
  // (Ansible puts back the source's trailing newlines counting "\n" only: with "\r" one more comes back, as here)
  t.equal(eng.render(src, vars, 't.j2', 0, '\r'), 'a\rb\rc\rx\ny\r\r\r');
  t.equal(eng.render(src, vars, 't.j2', 0, '\n'), 'a\nb\nc\nx\ny\n\n', 'the default reads CRLF as one newline too, as Jinja');
  t.equal(eng.render('plain\r\ntext\n', {}, 't.txt', 0, '\r\n'), 'plain\r\ntext\r\n', 'no template syntax: every newline');
  // the module: its argument, spelled as YAML double quotes give it or with backslashes (single quotes)
  t.equal(args({ src: 'a', dest: '/x', newline_sequence: '\\r\\n' }).newline_sequence, '\\r\\n');
  t.throws(() => template.validate!(args({ src: 'a', dest: '/x', newline_sequence: '\t' })), /newline_sequence needs to be one of/);
  const dir = t.testdir({ 'w.j2': 'l1\nl2\n' });
  const seen: Array<string | undefined> = [];
  const ctx = Object.assign(moduleContext({ baseDir: dir }), { render: (text: string, _f: string, o?: { newline?: string }) => (seen.push(o?.newline), eng.render(text, {}, 'w.j2', 0, o?.newline)) });
  const r = await runTask(template, ctx, args({ src: join(dir, 'w.j2'), dest: join(dir, 'out'), newline_sequence: '\\r\\n' }));
  t.equal(r.plan.changed, true);
  t.same(seen, ['\r\n'], 'the backslash spelling reaches the renderer as CR LF');
  t.equal(readFileSync(join(dir, 'out'), 'utf8'), 'l1\r\nl2\r\n');
  const again = await runTask(template, ctx, args({ src: join(dir, 'w.j2'), dest: join(dir, 'out'), newline_sequence: '\r\n' }));
  t.equal(again.plan.changed, false, 'idempotent');
});

t.test('validate and backup: the new content checked before it replaces dest; the old one kept beside it', async (t) => {
  const dir = t.testdir({ 'conf.j2': 'port=2\n', 'bad.j2': 'port=x\n', out: { 'app.conf': 'port=1\n' } });
  const dest = join(dir, 'out', 'app.conf');
  const check = 'grep -qx port=[0-9]* %s';
  const ok = await runTask(template, moduleContext(), args({ src: join(dir, 'conf.j2'), dest, validate: check, backup: true }));
  t.equal(ok.outcome.changed, true);
  t.equal(readFileSync(dest, 'utf8'), 'port=2\n');
  const bk = String((ok.outcome.result as Record<string, unknown>).backup_file);
  t.match(bk, new RegExp(`^${dest}\\.\\d{14}~$`));
  t.equal(readFileSync(bk, 'utf8'), 'port=1\n', 'the replaced content is backed up');
  await t.rejects(runTask(template, moduleContext(), args({ src: join(dir, 'bad.j2'), dest, validate: check, backup: true })), /failed to validate: rc:1/);
  t.equal(readFileSync(dest, 'utf8'), 'port=2\n', 'a rejected content leaves dest as it was');
  t.equal(readdirSync(join(dir, 'out')).length, 2, 'and makes no backup nor leaves a temp file');
  t.throws(() => template.validate!(args({ src: 'a', dest: '/x', validate: 'true' })), /validate must contain %s/);
  const again = await runTask(template, moduleContext(), args({ src: join(dir, 'conf.j2'), dest, validate: 'false %s', backup: true }));
  t.equal(again.outcome.changed, false, 'unchanged content: neither validated nor backed up');
});
