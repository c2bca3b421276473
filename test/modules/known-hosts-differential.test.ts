// known_hosts against Ansible itself, on files of temp directories only (each case its own file,
// never this machine's known_hosts): the same tasks on the same starting files through
// ansible-playbook (connection local) and bosun; the files (and ssh-keygen -R's .old) must end the
// same once hashed names' random salts are set aside, the changed counts equal, and a second run
// of each must change nothing. Ansible's own rules are kept, odd ones included (a matching pattern
// or @cert-authority line of the key's type is "another key" and is replaced).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { localTwins } from '../helpers/run.js';

const K1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const K2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIHx0bosunreadstestkeyxxxxxxxxxxxxxxxxxxxxxxx';
const RSA = 'AAAAB3NzaC1yc2EAAAADAQABAAABAQCbosuntestrsa';
const salt = Buffer.alloc(20, 3);
const hashed = (h: string): string => `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(h).digest('base64')}`;

interface Case {
  /** Starting content of the case's file; null: no file. */
  start: string | null;
  args: Record<string, unknown>;
}

const CASES: Record<string, Case> = {
  kh_new_file: { start: null, args: { name: 'a.example', key: `a.example ssh-ed25519 ${K1}` } },
  kh_add: { start: `b.example ssh-ed25519 ${K1}\n`, args: { name: 'a.example', key: `a.example ssh-ed25519 ${K1} me@there` } },
  kh_same_other_comment: { start: `a.example ssh-ed25519 ${K1} old\n`, args: { name: 'a.example', key: `a.example ssh-ed25519 ${K1} new` } },
  kh_replace: { start: `# top\na.example ssh-ed25519 ${K1}\nb.example ssh-ed25519 ${K1}\n`, args: { name: 'a.example', key: `a.example ssh-ed25519 ${K2}` } },
  kh_other_type: { start: `a.example ssh-ed25519 ${K1}\n`, args: { name: 'a.example', key: `a.example ssh-rsa ${RSA}` } },
  kh_list_field: { start: `a.example,10.0.0.1 ssh-ed25519 ${K1}\n`, args: { name: 'a.example', key: `a.example ssh-ed25519 ${K1}` } },
  kh_upper: { start: `a.example ssh-ed25519 ${K1}\n`, args: { name: 'A.Example', key: `a.example ssh-ed25519 ${K1}` } },
  kh_port: { start: `a.example ssh-ed25519 ${K1}\n`, args: { name: '[a.example]:2222', key: `[a.example]:2222 ssh-ed25519 ${K2}` } },
  kh_pattern: { start: `*.example ssh-ed25519 ${K1}\n`, args: { name: 'c.example', key: `c.example ssh-ed25519 ${K2}` } },
  kh_ca: { start: `@cert-authority *.example ssh-ed25519 ${K1}\n`, args: { name: 'c.example', key: `c.example ssh-ed25519 ${K2}` } },
  kh_hash_new: { start: `b.example ssh-ed25519 ${K1}\n`, args: { name: 'a.example', key: `a.example ssh-ed25519 ${K1}`, hash_host: true } },
  kh_hash_present: { start: `${hashed('a.example')} ssh-ed25519 ${K1}\n`, args: { name: 'a.example', key: `a.example ssh-ed25519 ${K1}`, hash_host: true } },
  kh_hash_over_plain: { start: `a.example ssh-ed25519 ${K1}\n`, args: { name: 'a.example', key: `a.example ssh-ed25519 ${K1}`, hash_host: true } },
  kh_plain_over_hashed: { start: `${hashed('a.example')} ssh-ed25519 ${K1}\n`, args: { name: 'a.example', key: `a.example ssh-ed25519 ${K1}` } },
  kh_absent_key: { start: `a.example ssh-ed25519 ${K1}\na.example ssh-rsa ${RSA}\n`, args: { name: 'a.example', key: `a.example ssh-rsa ${RSA}`, state: 'absent' } },
  kh_absent_other_key: { start: `a.example ssh-ed25519 ${K1}\n`, args: { name: 'a.example', key: `a.example ssh-ed25519 ${K2}`, state: 'absent' } },
  kh_absent_host: { start: `# c\na.example ssh-ed25519 ${K1}\nb.example ssh-ed25519 ${K1}\na.example,10.0.0.1 ssh-rsa ${RSA}\n`, args: { name: 'a.example', state: 'absent' } },
  kh_absent_hashed: { start: `${hashed('a.example')} ssh-ed25519 ${K1}\nb.example ssh-ed25519 ${K1}\n`, args: { name: 'a.example', state: 'absent' } },
  kh_absent_nofile: { start: null, args: { name: 'a.example', state: 'absent' } },
};

const ansible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });

function playbook(dir: string): string {
  const tasks = Object.entries(CASES).map(([id, c]) => ({ name: id, known_hosts: { path: join(dir, id, 'known_hosts'), ...c.args } }));
  return stringify([{ hosts: 'all', gather_facts: false, tasks }]);
}

function setUp(dir: string): void {
  for (const [id, c] of Object.entries(CASES)) {
    mkdirSync(join(dir, id), { recursive: true });
    if (c.start !== null) writeFileSync(join(dir, id, 'known_hosts'), c.start);
  }
}

/** Every case's files with their modes, the salt of a hash made by the run set aside (the seeded one kept). */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const seeded = hashed('a.example');
  for (const id of Object.keys(CASES)) {
    out[id] = readdirSync(join(dir, id))
      .sort()
      .map((f) => `== ${f} ${(statSync(join(dir, id, f)).mode & 0o777).toString(8)}\n${readFileSync(join(dir, id, f), 'utf8').replaceAll(seeded, 'SEEDED').replace(/\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+/g, '|1|NEW')}`)
      .join('');
  }
  return out;
}

t.test('known_hosts: same files as ansible-playbook, same changed count, idempotent', { skip: ansible.status === 0 ? false : 'ansible-playbook not installed' }, async (t) => {
  // ansible-playbook works in root/ansible, bosun in root/bosun: each pair of runs goes at once
  const { ansibleDir: ad, bosunDir: bd, pair } = localTwins(t, t.testdir({}), setUp, playbook);
  const [a1, b1] = await pair();
  const ac = contents(ad);
  const bc = contents(bd);
  for (const id of Object.keys(CASES)) t.equal(bc[id], ac[id], `${id}: same files as Ansible`);
  t.equal(b1.changed, a1.changed, 'same changed count as Ansible');
  t.ok(a1.changed >= 12, `the cases change things (${a1.changed}, not vacuous)`);
  t.ok(existsSync(join(bd, 'kh_absent_host', 'known_hosts.old')), "ssh-keygen -R's .old");
  const [a2, b2] = await pair();
  t.equal(a2.changed, 0, 'ansible: second run changes nothing');
  t.equal(b2.changed, 0, 'bosun: second run changes nothing');
});
