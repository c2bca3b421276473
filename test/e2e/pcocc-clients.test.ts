// Issue 20 on a real lab, 3 members + 3 pcocc nodes: site.yml with etcd_profile pcocc deploys the
// cluster and the clients (CA, password file, batch.yaml); a client talks to etcd exactly as
// pcocc's python-etcd does (v2 keys API, HTTPS with the CA file, basic auth, no client certificate);
// reruns change nothing; a hand edit of batch.yaml is shown by --check --diff and only the etcd keys
// are restored; a CA rotation keeps every client's access at every step.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab } from '../helpers/lab.js';
import { QUICK_HEALTH } from '../helpers/rollout.js';
import { recap, repoRoot, run, treeHash } from '../helpers/run.js';
import { hashHost, labInventory, sshArgs, type LabState } from '../../lib/lab/lab.js';

const PLAYBOOKS = join(repoRoot, 'playbooks');
// A password that needs escaping in curl's config and in YAML.
const PASSWORD = 'pw-pcocc-"q\\7#';
const MEMBERS = ['node1', 'node2', 'node3'];
const CLIENTS = ['node4', 'node5', 'node6'];

// pcocc's own rules for batch.yaml (as pcocc/Batch.py checks them with python jsonschema), written
// here independently of the role's schema file: the test's oracle is python's jsonschema.
const PCOCC_SCHEMA = {
  type: 'object',
  properties: {
    type: { enum: ['slurm', 'local'] },
    settings: {
      type: 'object',
      properties: {
        'etcd-servers': { type: 'array' },
        'etcd-client-port': { type: 'integer' },
        'etcd-protocol': { enum: ['http', 'https'] },
        'etcd-ca-cert': { type: 'string' },
        'etcd-auth-type': { enum: ['password', 'munge', 'none'] },
      },
      additionalProperties: false,
      required: ['etcd-servers', 'etcd-client-port', 'etcd-protocol', 'etcd-auth-type'],
    },
  },
  required: ['type', 'settings'],
};

function ssh(lab: LabState, host: string, cmd: string, input?: string): { code: number; out: string } {
  const r = spawnSync('ssh', [...sshArgs(lab, host), cmd], { encoding: 'utf8', timeout: 30_000, input });
  return { code: r.status ?? -1, out: (r.stdout + r.stderr).trim() };
}

/** The pcocc inventory shape: members in `etcd`, pcocc nodes in `pcocc`, etcd_profile pcocc for all. */
function pcoccInventory(lab: LabState): string {
  const text = labInventory(lab, 'etcd');
  const lines = text.split('\n');
  const isClient = (l: string) => CLIENTS.some((c) => l.trimStart().startsWith(`${c}:`));
  const clients = lines.filter(isClient);
  return (
    lines
      .filter((l) => !isClient(l))
      .join('\n')
      .replace('    ansible_user: root\n', '    ansible_user: root\n    etcd_profile: pcocc\n')
      .trimEnd() + `\n    pcocc:\n      hosts:\n${clients.join('\n')}\n`
  );
}

/** curl config on stdin: the password never in argv, on the lab host either. */
const curlCreds = `user = "root:${PASSWORD.replace(/[\\"]/g, '\\$&')}"\n`;

/** What python-etcd does from a pcocc node: v2 keys API, the CA file, basic auth (or none), no client certificate. */
function v2(lab: LabState, client: string, server: string, how: { method?: string; data?: string; auth: boolean; key?: string }) {
  const key = how.key ?? '/v2/keys/e2e-pcocc';
  const cmd =
    `curl -sS --cacert /etc/etcd/etcd-ca.crt ${how.auth ? '-K - ' : ''}${how.method ? `-X ${how.method} ` : ''}` +
    `${how.data ? `-d ${how.data} ` : ''}https://${server}:2379${key}`;
  return ssh(lab, client, cmd, how.auth ? curlCreds : '');
}

t.test('pcocc clients on a 3-member cluster', async (t) => {
  const lab = await withLab(t, { hosts: 6, name: 'e2epcocc', subnetIndex: 43, domain: 'pcocc.test' });
  const fqdn = (h: string) => lab.hosts.find((x) => x.name === h)!.fqdn;
  const dir = t.testdir({});
  const inv = join(dir, 'inventory.yml');
  writeFileSync(inv, pcoccInventory(lab));
  const ca = join(dir, 'etcd-ca');
  const vars = join(dir, 'vars.yml');
  writeFileSync(vars, `etcd_root_password: ${JSON.stringify(PASSWORD)}\netcd_ca_dir: "${ca}"\n`);
  const args = (playbook: string, ...more: string[]) => [join(PLAYBOOKS, playbook), '-i', inv, '-e', `@${vars}`, ...QUICK_HEALTH, ...more];

  await t.test('pcocc nodes without etcd_profile pcocc: refused before any host is touched', async (t) => {
    const strict = join(dir, 'strict.yml');
    writeFileSync(strict, pcoccInventory(lab).replace('    etcd_profile: pcocc\n', ''));
    const before = await Promise.all(lab.hosts.map((h) => hashHost(lab, h.name)));
    const r = await run([join(PLAYBOOKS, 'site.yml'), '-i', strict, '-e', `@${vars}`]);
    t.equal(r.code, 2, r.stdout.slice(-2000));
    t.match(r.stdout, /the inventory has pcocc nodes \(group pcocc\), and pcocc talks to etcd without a client certificate, which only etcd_profile: pcocc serves/);
    t.same(await Promise.all(lab.hosts.map((h) => hashHost(lab, h.name))), before, 'hosts byte-identical');
  });

  await t.test('site.yml: cluster with the pcocc profile, then the clients', async (t) => {
    const r = await run(args('site.yml'));
    t.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr);
    t.notOk(r.stdout.includes(PASSWORD), 'password never printed');
    for (const h of [...MEMBERS, ...CLIENTS]) t.ok(recap(r.stdout)[h]!.changed > 0, `${h} changed`);
    t.match(r.stdout, /Verify \| one client writes and reads as pcocc[^\n]*\*+\nok: \[node4\]/, 'the role verified from node4');
  });

  await t.test('clients: CA only, password file root 0600, batch.yaml valid for pcocc', async (t) => {
    const caPem = readFileSync(join(ca, 'ca.pem'), 'utf8').trim();
    for (const c of CLIENTS) {
      t.equal(ssh(lab, c, 'ls -A /etc/etcd').out, 'etcd-ca.crt', `${c}: nothing but the CA certificate from the CA dir`);
      t.equal(ssh(lab, c, 'cat /etc/etcd/etcd-ca.crt').out, caPem, `${c}: the cluster's CA`);
      t.equal(ssh(lab, c, 'stat -c "%U:%G %a" /etc/pcocc/etcd-password').out, 'root:root 600', `${c}: password file root:root 0600`);
      t.equal(ssh(lab, c, 'cat /etc/pcocc/etcd-password').out, PASSWORD, `${c}: the root password, as is`);
    }
    const batch = ssh(lab, 'node4', 'cat /etc/pcocc/batch.yaml').out;
    t.equal(
      batch,
      [
        'type: slurm',
        'settings:',
        '  etcd-servers:',
        ...MEMBERS.map((m) => `    - ${fqdn(m)}`),
        '  etcd-client-port: 2379',
        '  etcd-protocol: https',
        '  etcd-ca-cert: /etc/etcd/etcd-ca.crt',
        '  etcd-auth-type: password',
      ].join('\n'),
    );
    // python's jsonschema (what pcocc validates with) on the file as written (.ci/setup installs it)
    const py = spawnSync(
      '/usr/bin/python3',
      ['-c', 'import sys, json, yaml, jsonschema; jsonschema.validate(yaml.safe_load(sys.stdin), json.loads(sys.argv[1])); print("valid")', JSON.stringify(PCOCC_SCHEMA)],
      { input: batch, encoding: 'utf8' },
    );
    t.equal(py.stdout.trim(), 'valid', py.stderr);
    // members: no client CA on the client URLs, peers keep mutual TLS
    const env = ssh(lab, 'node1', 'cat /etc/default/etcd').out;
    t.match(env, /^ETCD_TRUSTED_CA_FILE=""$/m);
    t.match(env, /^ETCD_CLIENT_CERT_AUTH=false$/m);
    t.match(env, /^ETCD_PEER_CLIENT_CERT_AUTH=true$/m);
    t.match(env, /^ETCD_PEER_TRUSTED_CA_FILE="\/etc\/etcd\/etcd-ca\.crt"$/m);
    t.match(env, /^ETCD_ENABLE_V2=true$/m);
  });

  await t.test('a pcocc node talks to etcd as python-etcd does; without the password it is refused', async (t) => {
    const put = v2(lab, 'node5', fqdn('node1'), { method: 'PUT', data: 'value=from-node5', auth: true });
    t.match(put.out, /"action":"set"/, `write: ${put.out}`);
    for (const m of MEMBERS) {
      const get = v2(lab, 'node6', fqdn(m), { auth: true });
      t.match(get.out, /"value":"from-node5"/, `read on ${m}: ${get.out}`);
    }
    const anon = v2(lab, 'node6', fqdn('node2'), { auth: false });
    t.match(anon.out, /"errorCode":110,"message":"The request requires user authentication"/, 'anonymous read refused (the guide\'s error 110)');
    const anonPut = v2(lab, 'node6', fqdn('node2'), { method: 'PUT', data: 'value=x', auth: false });
    t.match(anonPut.out, /"errorCode":110/, 'anonymous write refused');
    const wrong = ssh(lab, 'node6', `curl -sS --cacert /etc/etcd/etcd-ca.crt -K - https://${fqdn('node3')}:2379/v2/keys/e2e-pcocc`, 'user = "root:not-it"\n');
    t.match(wrong.out, /"errorCode":110/, 'wrong password refused');
    // the peer port still demands a certificate of the CA
    const peer = ssh(lab, 'node6', `curl -sS --cacert /etc/etcd/etcd-ca.crt https://${fqdn('node1')}:2380/members`);
    t.not(peer.code, 0, `peer URL refuses a client without a certificate: ${peer.out}`);
  });

  await t.test('second run and --check --diff change nothing', async (t) => {
    const r = await run(args('site.yml'));
    t.equal(r.code, 0, r.stdout.slice(-3000));
    for (const [h, s] of Object.entries(recap(r.stdout))) t.equal(s.changed, 0, `${h} changed=0`);
    const c = await run(args('site.yml', '--check', '--diff'));
    t.equal(c.code, 0, c.stdout.slice(-3000));
    for (const [h, s] of Object.entries(recap(c.stdout))) t.equal(s.changed, 0, `${h} changed=0 in check mode`);
  });

  await t.test('a hand edit of batch.yaml: --check --diff shows it, the run restores only the etcd keys', async (t) => {
    const edited = [
      '# front-end: local batch, set by the operator',
      'type: local',
      'settings:',
      '  etcd-servers: [old-etcd]   # someone pointed this elsewhere',
      '  etcd-client-port: 4001',
      '  etcd-protocol: http',
      '  etcd-ca-cert: /etc/etcd/etcd-ca.crt',
      '  etcd-auth-type: password',
      '  etcd-cert: /etc/old.pem',
      '',
    ].join('\n');
    ssh(lab, 'node5', 'cat > /etc/pcocc/batch.yaml', edited);
    const node5 = lab.hosts.find((h) => h.name === 'node5')!;
    const before = treeHash(node5.upperDir);
    const c = await run(args('pcocc-clients.yml', '--check', '--diff'));
    t.equal(c.code, 0, c.stdout.slice(-3000));
    const rc = recap(c.stdout);
    t.equal(rc.node5!.changed, 1, 'node5: one change predicted');
    t.equal(rc.node4!.changed + rc.node6!.changed, 0, 'the other clients: none');
    t.match(c.stdout, /--- before: \/etc\/pcocc\/batch\.yaml/);
    t.match(c.stdout, /^-\s+etcd-client-port: 4001$/m);
    t.match(c.stdout, /^\+\s+etcd-client-port: 2379$/m);
    t.match(c.stdout, /^-\s+etcd-cert: \/etc\/old\.pem$/m);
    t.notMatch(c.stdout, /^[-+]type:/m, 'type is not touched');
    // the lab's fqdn (withLab prefixes the domain under BOSUN_TEST_SLOT)
    t.match(c.stdout, new RegExp(`^\\+\\s+- ${fqdn('node1').replace(/\./g, '\\.')}$`, 'm'), 'etcd-servers: the members\' fqdn');
    t.same(treeHash(node5.upperDir), before, 'check mode wrote nothing on node5');

    const r = await run(args('pcocc-clients.yml'));
    t.equal(r.code, 0, r.stdout.slice(-3000));
    t.equal(recap(r.stdout).node5!.changed, 1);
    const now = ssh(lab, 'node5', 'cat /etc/pcocc/batch.yaml').out;
    t.match(now, /^# front-end: local batch, set by the operator\ntype: local\nsettings:\n/, 'operator comment and type kept');
    t.match(now, new RegExp(`etcd-servers:\\n    - ${fqdn('node1').replace(/\./g, '\\.')}\\n`));
    t.match(now, /etcd-client-port: 2379\n\s+etcd-protocol: https\n/);
    t.notMatch(now, /etcd-cert:|old-etcd/);
    const again = await run(args('pcocc-clients.yml'));
    t.equal(recap(again.stdout).node5!.changed, 0, 'then a no-op');
  });

  await t.test('CA rotation: clients trust old+new, then the new CA only; no client loses access at any step', async (t) => {
    // A pcocc-like reader on node6 for the whole rotation: every 0.3 s a read with its deployed CA
    // file and the password, trying the members in turn as python-etcd does; a TLS failure (curl 60)
    // or no member answering is an incident.
    const servers = MEMBERS.map(fqdn).join(' ');
    const loop =
      `stop=/tmp/e2e-reader.stop; rm -f $stop; pw=$(sed 's/[\\\\"]/\\\\&/g' /etc/pcocc/etcd-password); ` +
      `while [ ! -e $stop ]; do ok=; for s in ${servers}; do ` +
      `out=$(printf 'user = "root:%s"\\n' "$pw" | curl -sS --max-time 3 --cacert /etc/etcd/etcd-ca.crt -K - https://$s:2379/v2/keys/e2e-pcocc 2>&1); rc=$?; ` +
      `if [ $rc = 0 ] && case $out in *from-node5*) true;; *) false;; esac; then ok=1; break; fi; ` +
      `[ $rc = 60 ] && echo "TLS $s $out"; done; if [ -n "$ok" ]; then echo ok; else echo "NONE $out"; fi; sleep 0.3; done`;
    const reader = spawn('ssh', [...sshArgs(lab, 'node6'), loop], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    reader.stdout.on('data', (d: Buffer) => (log += d.toString()));
    const ended = new Promise((r) => reader.on('close', r));
    try {
      const trust = await run(args('rotate-ca.yml', '-e', 'etcd_ca_rotation=trust'));
      t.equal(trust.code, 0, trust.stdout.slice(-3000) + trust.stderr);
      for (const c of CLIENTS) t.equal(ssh(lab, c, 'grep -c "BEGIN CERTIFICATE" /etc/etcd/etcd-ca.crt').out, '2', `${c} trusts old and new CA`);

      const reissue = await run(args('rotate-ca.yml', '-e', 'etcd_ca_rotation=reissue'));
      t.equal(reissue.code, 0, reissue.stdout.slice(-3000) + reissue.stderr);
      for (const c of CLIENTS) t.equal(recap(reissue.stdout)[c]!.changed, 0, `${c}: nothing to change in reissue (already trusts the bundle)`);

      const finish = await run(args('rotate-ca.yml', '-e', 'etcd_ca_rotation=finish'));
      t.equal(finish.code, 0, finish.stdout.slice(-3000) + finish.stderr);
      const newCa = readFileSync(join(ca, 'ca.pem'), 'utf8').trim();
      for (const c of CLIENTS) t.equal(ssh(lab, c, 'cat /etc/etcd/etcd-ca.crt').out, newCa, `${c} trusts the new CA only`);
    } finally {
      ssh(lab, 'node6', 'touch /tmp/e2e-reader.stop');
      await ended;
    }
    const lines = log.split('\n').filter(Boolean);
    const bad = lines.filter((l) => l !== 'ok');
    t.comment(`reader on node6: ${lines.length} reads, ${bad.length} incident(s)`);
    t.ok(lines.length >= 20, `the reader kept reading (${lines.length})`);
    t.same(bad, [], 'every read during the rotation succeeded on some member with the CA file deployed at that moment');

    const after = await run(args('site.yml'));
    t.equal(after.code, 0, after.stdout.slice(-3000));
    for (const [h, s] of Object.entries(recap(after.stdout))) t.equal(s.changed, 0, `${h} changed=0 after the rotation`);
  });

  await t.test('rotate-ca reissue refuses while a client does not trust the bundle', async (t) => {
    const trust = await run(args('rotate-ca.yml', '-e', 'etcd_ca_rotation=trust'));
    t.equal(trust.code, 0, trust.stdout.slice(-3000));
    // node4 lost the bundle (e.g. it was down during the trust phase)
    ssh(lab, 'node4', `cat > /etc/etcd/etcd-ca.crt`, readFileSync(join(ca, 'ca.pem'), 'utf8'));
    const r = await run(args('rotate-ca.yml', '-e', 'etcd_ca_rotation=reissue'));
    t.not(r.code, 0);
    t.match(r.stdout, /pcocc node node4 does not trust the new CA yet/);
    t.ok(readFileSync(join(ca + '.next', 'ca.pem')), 'the new CA is still staged (nothing switched)');
  });
});
