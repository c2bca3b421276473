// Secrets audit: a full run at -vvv --diff, and again with --output json, of a playbook that uses an
// inline !vault value, a whole-file vault, a no_log task, a `secret: true` module argument (etcdctl
// password against a dead endpoint), a private key copied with `copy` and shown in --diff, and
// failing tasks whose messages contain secrets. Every byte bosun prints (stdout and stderr of the
// real process) is searched for each secret and for PEM key material: none may appear.
import t from 'tap';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encrypt } from '../../lib/vault/crypto.js';
import { vaultBlock } from '../../lib/cli/vault.js';
import { spawnBosun } from '../fixtures/e2e/harness.js';

const rnd = () => randomBytes(6).toString('hex');
const S = {
  vaultInline: `vault-inline-${rnd()}`,
  vaultFile: `vault-file-${rnd()}`,
  vaultMultiline: `first-line-${rnd()}\nsecond-line-${rnd()}`,
  noLog: `nolog-${rnd()}`,
  etcdPassword: `etcdpw-${rnd()}`,
  // secret-looking variables no `secret:` argument ever uses: masked from the first line on (issue 11 item 7)
  extraPassword: `db-${rnd()}`,
  playToken: `tok-${rnd()}`,
};
const PW = `pw-${rnd()}`;

t.test('no secret or key material in any output', async (t) => {
  const dir = t.testdir({ files: {}, out: {} });
  const out = join(dir, 'out');
  writeFileSync(join(dir, 'pw'), PW + '\n');
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(join(dir, 'files', 'server-key.pem'), key);
  writeFileSync(join(dir, 'files', 'echo-args.sh'), '#!/bin/sh\necho "script got $1"\n');
  mkdirSync(join(dir, 'vars'));
  writeFileSync(join(dir, 'vars', 'secret.yml'), encrypt(`vault_file: ${S.vaultFile}\n`, PW));
  const indent = (s: string, n: number) => s.replace(/^/gm, ' '.repeat(n)).trimEnd();
  writeFileSync(
    join(dir, 'play.yml'),
    `- hosts: localhost
  gather_facts: false
  vars_files: [vars/secret.yml]
  vars:
    api_token: ${S.playToken}
${indent(vaultBlock(S.vaultInline, PW, 'vault_inline'), 4)}
${indent(vaultBlock(S.vaultMultiline, PW, 'vault_multi'), 4)}
  tasks:
    - name: vault values into files (shown by --diff)
      copy: { dest: "{{ out }}/app.conf", content: "password={{ vault_inline }}\\ntoken={{ vault_file }}\\n{{ vault_multi }}\\n", mode: "0600" }
    - name: vault value in a message
      debug: { msg: "connecting with {{ vault_inline }} and {{ vault_file }}" }
    - name: a password from -e and a token from play vars, in a file (--diff) and a message (-v)
      copy: { dest: "{{ out }}/db.conf", content: "db={{ db_password }}\\ntoken={{ api_token }}\\n", mode: "0600" }
    - debug: { msg: "db {{ db_password }} token {{ api_token }}" }
    - name: no_log task
      shell: "echo {{ nolog_secret }}; echo {{ nolog_secret }} >&2"
      no_log: true
    - name: private key copied
      copy: { src: server-key.pem, dest: "{{ out }}/server-key.pem", mode: "0600" }
    - name: secret module argument (etcd is not there, fails harmlessly)
      etcdctl: { op: health, endpoints: ["http://127.0.0.1:9"], password: "{{ etcd_password }}", retries: 0, timeout: 1 }
      ignore_errors: true
    - name: a command failing with the secret in its output and in its argv
      command: { argv: [ls, "/nonexistent/{{ vault_inline }}/{{ etcd_password }}"] }
      ignore_errors: true
    - name: a shell error with the secret on stderr
      shell: "echo 'bad credentials {{ vault_file }}' >&2; exit 3"
      ignore_errors: true
    - name: raw with vault values in its text, its stdout and its stderr
      raw: "echo 'raw {{ vault_inline }}'; echo 'raw err {{ vault_file }}' >&2; exit 2"
      ignore_errors: true
    - name: script with a vault value as its argument, printed back
      script: "echo-args.sh '{{ vault_inline }}'"
    - name: final failure naming the secret
      fail: { msg: "refusing: {{ vault_inline }} / {{ vault_multi }}" }
`,
  );
  const common = [join(dir, 'play.yml'), '--vault-password-file', join(dir, 'pw'), '-e', `out=${out}`, '-e', `nolog_secret=${S.noLog}`, '-e', `etcd_password=${S.etcdPassword}`, '-e', `db_password=${S.extraPassword}`];
  const runs = {
    text: await spawnBosun([...common, '-vvv', '--diff']).done,
    json: await spawnBosun([...common, '-vvv', '--diff', '--output', 'json']).done,
  };

  // The run really did the work: the secrets reached the files, every task ran.
  t.equal(readFileSync(join(out, 'app.conf'), 'utf8'), `password=${S.vaultInline}\ntoken=${S.vaultFile}\n${S.vaultMultiline}\n`);
  t.equal(readFileSync(join(out, 'server-key.pem'), 'utf8'), key);
  t.equal(readFileSync(join(out, 'db.conf'), 'utf8'), `db=${S.extraPassword}\ntoken=${S.playToken}\n`);
  const keyBody = key.split('\n').filter((l) => l && !l.startsWith('-----'));
  const needles = [...Object.values(S), ...S.vaultMultiline.split('\n'), ...keyBody, PW];
  for (const [name, r] of Object.entries(runs)) {
    t.equal(r.code, 2, `${name}: the final task failed (exit 2)`);
    const all = r.out + r.err;
    t.match(all, /final failure naming the secret/, `${name}: ran to the end`);
    t.match(all, /\*\*\*/, `${name}: something was masked`);
    t.match(all, /ls.*nonexistent/, `${name}: the failing command is reported`);
    t.match(all, /server-key\.pem/, `${name}: the key copy is reported`);
    t.match(all, /raw \*\*\*/, `${name}: raw's output is reported, masked`);
    t.match(all, /script got \*\*\*/, `${name}: script's output is reported, masked`);
    for (const n of needles) t.notOk(all.includes(n), `${name}: ${n.slice(0, 12)}… not printed`);
    t.notMatch(all, /PRIVATE KEY-----\s*[A-Za-z0-9+/=]{8}/, `${name}: no PEM key material`);
    t.notMatch(all, /BEGIN [A-Z ]*PRIVATE KEY/, `${name}: no PEM key header`);
  }
  // -vvv really traced requests (the audit covers the trace, not an empty one).
  t.match(runs.text.out, /connecting with \*\*\* and \*\*\*/);
  t.match(runs.json.out.split('\n')[0]!, /^\{/, 'json events');
});

// The top-level ERROR! line (bin/) and the JSON `error` event mask the run's secrets too (issue 11 item 7).
t.test('a fatal error quoting a secret-looking -e value masks it', async (t) => {
  const dir = t.testdir({ 'play.yml': '- hosts: "{{ db_password }}"\n  gather_facts: false\n  tasks:\n    - debug: { msg: x }\n' });
  const secret = `Hun[${rnd()}`;
  const args = [join(dir, 'play.yml'), '-e', `db_password=${secret}`];
  for (const r of [await spawnBosun(args).done, await spawnBosun([...args, '--output', 'json']).done]) {
    t.equal(r.code, 4, r.err);
    t.match(r.out + r.err, /invalid host pattern '\*\*\*'/, 'the error is reported, the value masked');
    t.notOk((r.out + r.err).includes(secret.slice(4)), 'the value is not printed');
  }
});
