// fetch, slurp and copy (files, trees, a 110 MB file) on lab hosts over SSH: --check predicts every
// change and leaves the hosts and the control node as they were; the run moves the bytes exactly
// (binary-safe, checksums compared on both ends); a rerun changes nothing in at most one request per
// task per host; and the bosun process's peak RSS stays far below the big file's size (streamed, not
// buffered), read from the process itself at exit (bench/rusage-hook.js). Then, on the same lab:
// assemble (host and control-node fragments, validate, backup), template with newline_sequence, copy
// of a tree already on the host, stat's checksum algorithm, mime type and the rest of its keys, tempfile.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { hashHost } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { binBuilt, binPath, repoRoot } from '../helpers/run.js';
import { bosunRun, parseRecap, parseSummary, remote, requestsPerTask, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2'];
const BIG = 110 * 1024 * 1024;

async function sha256File(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(p)) h.update(c as Buffer);
  return h.digest('hex');
}

/** `bosun run ARGV` as a child process of the built bin; its own peak RSS (MB) from the rusage hook. */
function runBin(argv: string[], dir: string): Promise<{ code: number; out: string; maxRssMB: number }> {
  const usage = path.join(dir, `rusage-${Date.now()}.json`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', path.join(repoRoot, 'bench/rusage-hook.js'), binPath, 'run', ...argv], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', BOSUN_BENCH_RUSAGE: usage },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', (code) => {
      const ru = existsSync(usage) ? (JSON.parse(readFileSync(usage, 'utf8')) as { maxRssMB: number }) : { maxRssMB: NaN };
      resolve({ code: code ?? -1, out, maxRssMB: ru.maxRssMB });
    });
  });
}

const PLAY = (dir: string) => `
- hosts: all
  gather_facts: false
  tasks:
    - name: big file up
      copy: { src: ${dir}/big.bin, dest: /srv/xfer/, mode: '0600', directory_mode: '0750' }
    - name: a tree up (contents of site/)
      ansible.builtin.copy: { src: ${dir}/site/, dest: /srv/xfer/site, directory_mode: '0750' }
    - name: big file back
      fetch: { src: /srv/xfer/big.bin, dest: ${dir}/got }
    - name: binary file back, flat
      fetch: { src: /srv/xfer/site/img/logo.bin, dest: "${dir}/flat/{{ inventory_hostname }}.bin", flat: true }
    - name: slurp it
      slurp: { src: /srv/xfer/site/img/logo.bin }
      register: logo
      ignore_errors: "{{ ansible_check_mode }}"
    - name: the slurped bytes are the file's
      when: not ansible_check_mode
      assert:
        that: ["(logo.content | b64decode | length) > 0", "logo.encoding == 'base64'", "logo.source == '/srv/xfer/site/img/logo.bin'"]
`;

t.test('fetch, slurp, copy trees and a 110 MB file on lab hosts', { skip: binBuilt() ? false : 'dist/ not built (npx tsc -p .)' }, async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'files-xfer', subnetIndex: 41 });
  const dir = tempDir(t, 'e2e-files-');
  const inv = writeInventory(lab, dir);
  // 110 MB of incompressible bytes, written in pieces (the test itself stays small too)
  const fd = openSync(path.join(dir, 'big.bin'), 'w');
  for (let i = 0; i < BIG / (1 << 20); i++) writeSync(fd, randomBytes(1 << 20));
  closeSync(fd);
  const bigSha = await sha256File(path.join(dir, 'big.bin'));
  mkdirSync(path.join(dir, 'site', 'img'), { recursive: true });
  writeFileSync(path.join(dir, 'site', 'index.html'), '<h1>hi</h1>\n');
  const logo = Buffer.concat([Buffer.from([0, 255, 10, 13, 0]), randomBytes(5000)]);
  writeFileSync(path.join(dir, 'site', 'img', 'logo.bin'), logo);
  const site = path.join(dir, 'site.yml');
  writeFileSync(site, PLAY(dir));
  const tasks = 6;

  const before = await Promise.all(HOSTS.map((h) => hashHost(lab, h)));
  const check = await runBin([site, '-i', inv, '--check', '--diff'], dir);
  t.equal(check.code, 0, check.out);
  t.same(await Promise.all(HOSTS.map((h) => hashHost(lab, h))), before, '--check left every host byte-identical');
  t.notOk(existsSync(path.join(dir, 'got')) || existsSync(path.join(dir, 'flat')), '--check fetched nothing');
  // the fetches' srcs do not exist yet under --check (the copies only planned them): predicted as
  // fetches all the same; slurp's src is not there either, so it fails (ignored in this check run)
  for (const h of HOSTS) t.equal(parseRecap(check.out)[h]!.changed, 4, `${h}: check predicts 2 copies and 2 fetches`);
  t.notMatch(check.out, /skipped in check mode/);

  const r1 = await runBin([site, '-i', inv], dir);
  t.equal(r1.code, 0, r1.out);
  for (const h of HOSTS) t.equal(parseRecap(r1.out)[h]!.changed, 4, `${h}: 2 copies and 2 fetches changed`);

  for (const h of HOSTS) {
    const r = await remote(lab, h, `sha256sum < /srv/xfer/big.bin; stat -c %a /srv/xfer /srv/xfer/big.bin /srv/xfer/site /srv/xfer/site/img; sha256sum < /srv/xfer/site/img/logo.bin`);
    t.equal(
      r.out.toString(),
      `${bigSha}  -\n750\n600\n750\n750\n${createHash('sha256').update(logo).digest('hex')}  -\n`,
      `${h}: the big file and the tree arrived byte-exact, with their modes`,
    );
    t.equal(await sha256File(path.join(dir, 'got', h, 'srv/xfer/big.bin')), bigSha, `${h}: the big file came back byte-exact`);
    t.same(readFileSync(path.join(dir, 'flat', `${h}.bin`)), logo, `${h}: the binary file came back byte-exact (flat)`);
  }

  const r2 = await runBin([site, '-i', inv], dir);
  t.equal(r2.code, 0, r2.out);
  for (const h of HOSTS) t.equal(parseRecap(r2.out)[h]!.changed, 0, `${h}: rerun changed=0`);
  const s = parseSummary(r2.out);
  t.ok(s && s.requests <= tasks * HOSTS.length, `no-op: ${s?.requests} requests for ${tasks} tasks on ${HOSTS.length} hosts`);
  // memory: the run that moved 2 × 110 MB up and 2 × 110 MB back against the no-op rerun (same
  // process, same playbook, nothing moved): the difference is what the transfers cost
  const grew = r1.maxRssMB - r2.maxRssMB;
  t.comment(`peak RSS: ${r1.maxRssMB.toFixed(1)} MB moving 4 × 110 MB, ${r2.maxRssMB.toFixed(1)} MB for the no-op rerun (${s?.requests} requests)`);
  t.ok(r2.maxRssMB > 20 && r1.maxRssMB > 20, 'peak RSS was measured');
  t.ok(grew < 64, `moving 110 MB files grew bosun's peak RSS by ${grew.toFixed(1)} MB only (streamed, not buffered)`);

  // a fetched file changed on the control node is fetched again
  writeFileSync(path.join(dir, 'flat', 'node1.bin'), 'tampered');
  const r3 = await runBin([site, '-i', inv], dir);
  t.same(parseRecap(r3.out).node1, { ok: tasks, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }, 'node1: only the tampered copy is fetched again');
  t.same(readFileSync(path.join(dir, 'flat', 'node1.bin')), logo);
  rmSync(path.join(dir, 'big.bin'));

  await t.test('assemble, newline_sequence, remote trees, stat, tempfile on the same hosts', async (t) => {
    const frags = path.join(dir, 'frags');
    mkdirSync(frags);
    writeFileSync(path.join(frags, '10-b.conf'), 'b=2'); // no final newline: assemble adds one
    writeFileSync(path.join(frags, '01-a.conf'), 'a=1\n');
    writeFileSync(path.join(frags, '.hidden.conf'), 'hidden=1\n');
    writeFileSync(path.join(frags, 'README'), 'not a fragment\n');
    writeFileSync(path.join(dir, 'win.j2'), '[{{ inventory_hostname }}]\nkey=value\n');
    const play2 = path.join(dir, 'more.yml');
    writeFileSync(
      play2,
      `
- hosts: all
  gather_facts: false
  tasks:
    - name: fragments up
      copy: { src: ${frags}/, dest: /srv/frag/conf.d/ }
    - name: assemble on the host
      assemble: { src: /srv/frag/conf.d, dest: /srv/frag/app.conf, delimiter: '# --', regexp: '\\.conf$', ignore_hidden: true, mode: '0640', validate: 'grep -q a=1 %s', backup: true }
    - name: assemble from the control node
      assemble: { src: ${frags}, dest: /srv/frag/local.conf, remote_src: false }
    - name: CRLF template
      template: { src: ${dir}/win.j2, dest: /srv/frag/win.ini, newline_sequence: "\\r\\n" }
    - name: tree copied on the host
      copy: { src: /srv/frag/conf.d, dest: /srv/frag/copies/, remote_src: true }
      ignore_errors: "{{ ansible_check_mode }}"
    - name: stat sha256 and mime
      stat: { path: /srv/frag/app.conf, checksum_algorithm: sha256 }
      register: st
    - name: scratch
      tempfile: { state: directory, suffix: .bosun }
      register: scratch
    - name: results
      when: not ansible_check_mode
      assert:
        that:
          - st.stat.checksum == '${createHash('sha256').update('a=1\n# --\nb=2').digest('hex')}'
          - st.stat.mimetype == 'text/plain' and st.stat.charset == 'us-ascii'
          - st.stat.mode == '0640' and st.stat.isreg and not (st.stat.islnk or st.stat.isdir or st.stat.isfifo or st.stat.ischr or st.stat.isblk or st.stat.issock)
          - st.stat.rusr and st.stat.wusr and not st.stat.xusr and st.stat.rgrp and not st.stat.wgrp and not st.stat.roth and not st.stat.isuid
          - st.stat.readable and st.stat.writeable and not st.stat.executable and st.stat.pw_name == 'root' and st.stat.uid == 0
          - st.stat.mtime is float and st.stat.mtime > 1600000000 and st.stat.atime is float and st.stat.ctime >= st.stat.mtime
          - st.stat.inode > 0 and st.stat.dev > 0 and st.stat.nlink == 1 and st.stat.size == 12 and st.stat.blocks >= 0 and st.stat.device_type == 0
          - st.stat.attributes is sequence and st.stat.attr_flags is string and 'version' in st.stat
          - scratch.path is match('/tmp/ansible\\.[a-z0-9_]{8}\\.bosun$') and scratch.mode == '0700'
`,
    );
    const argv = [play2, '-i', inv];
    const before = await Promise.all(HOSTS.map((h) => hashHost(lab, h)));
    const check = await bosunRun([...argv, '--check', '--diff']);
    t.equal(check.code, 0, check.out + check.err);
    t.same(await Promise.all(HOSTS.map((h) => hashHost(lab, h))), before, '--check left every host byte-identical');
    // the fragments are only planned: assemble on the host says so (predicted), the remote copy fails
    // (ignored, as Ansible's would); tempfile is skipped, as Ansible
    for (const h of HOSTS) t.match(parseRecap(check.out)[h], { changed: 4, ignored: 1, skipped: 2 }, `${h}: check predicts the copy, both assembles and the template`);
    t.match(check.out, /\+hidden=1\n\+a=1\n\+b=2\n\+not a fragment/, '--diff shows the assembled control-node file');

    const r1 = await bosunRun(argv);
    t.equal(r1.code, 0, r1.out + r1.err);
    for (const h of HOSTS) t.match(parseRecap(r1.out)[h], { changed: 6, failed: 0 }, `${h}: copy, 2 assembles, template, remote tree, tempfile`);
    for (const h of HOSTS) {
      const r = await remote(lab, h, 'cat /srv/frag/app.conf; echo =; cat /srv/frag/local.conf; echo =; cat -A /srv/frag/win.ini; echo =; cd /srv/frag/copies && find . | LC_ALL=C sort; stat -c %a /srv/frag/app.conf');
      // (no newline after the last fragment: Ansible adds one only between fragments)
      t.equal(
        r.out.toString(),
        `a=1\n# --\nb=2=\nhidden=1\na=1\nb=2\nnot a fragment\n=\n[${h}]^M$\nkey=value^M$\n=\n.\n./conf.d\n./conf.d/.hidden.conf\n./conf.d/01-a.conf\n./conf.d/10-b.conf\n./conf.d/README\n640\n`,
        `${h}: assembled files, the CRLF template, the tree copied on the host`,
      );
    }

    const r2 = await bosunRun([...argv, '-vvv']);
    t.equal(r2.code, 0);
    for (const h of HOSTS) t.match(parseRecap(r2.out)[h], { changed: 1 }, `${h}: rerun changes only tempfile (always a new name)`);
    const per = requestsPerTask(r2.out, HOSTS);
    for (const [task, byHost] of per) {
      for (const [h, n] of byHost) t.ok(n <= 1, `rerun: ${task} on ${h}: ${n} request(s)`);
    }
    t.ok(per.get('scratch')?.get('node1') === 1, 'the request count is read from the trace (not vacuous)');

    // a fragment added on node1 only: there app.conf is rewritten, the old one backed up
    await remote(lab, 'node1', "printf 'c=3\\n' > /srv/frag/conf.d/20-c.conf");
    const r3 = await bosunRun(argv);
    t.match(parseRecap(r3.out).node1, { changed: 3 }, 'node1: assemble, the remote tree copy and tempfile');
    t.match(parseRecap(r3.out).node2, { changed: 1 }, 'node2: tempfile only');
    t.match(parseRecap(r3.out).node1, { failed: 1 }, 'node1: the stat checksum no longer matches (the assert says so)');
    const bk = await remote(lab, 'node1', 'cat /srv/frag/app.conf.*~; echo =; cat /srv/frag/app.conf');
    t.equal(bk.out.toString(), 'a=1\n# --\nb=2=\na=1\n# --\nb=2\n# --\nc=3\n', 'node1: backup of the replaced file, then the new one');
  });
});
