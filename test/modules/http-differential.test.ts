// get_url and uri against ansible-playbook 2.14 (connection: local, a server on loopback): the same
// playbook through both, the registered results written to JSON files and compared — the keys
// Ansible returns that bosun returns too, and their values where they do not depend on time.
import t from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { stringify } from 'yaml';
import { ansibleInstalled, runAnsible, runBosun } from '../helpers/differential.js';
import { bytes, startServer } from '../helpers/http-server.js';

const BODY = 'release bytes\n';
const sha256 = createHash('sha256').update(BODY).digest('hex');

function playbook(base: string, dir: string): string {
  const out = (name: string) => ({ copy: { content: `result={{ ${name} | to_json }}\n`, dest: join(dir, `${name}.json`) } });
  return stringify([
    {
      hosts: 'localhost',
      gather_facts: false,
      tasks: [
        { name: 'fresh', get_url: { url: `${base}/rel.tgz`, dest: join(dir, 'rel.tgz'), checksum: `sha256:${sha256}`, mode: '0640' }, register: 'g1' },
        { name: 'again', get_url: { url: `${base}/rel.tgz`, dest: join(dir, 'rel.tgz'), checksum: `sha256:${sha256}`, mode: '0640' }, register: 'g2' },
        { name: 'missing', get_url: { url: `${base}/nope`, dest: join(dir, 'nope') }, register: 'g3', ignore_errors: true },
        { name: 'json', uri: { url: `${base}/health` }, register: 'u1' },
        { name: 'status', uri: { url: `${base}/health`, status_code: [200, 404], return_content: true }, register: 'u2' },
        { name: 'bad status', uri: { url: `${base}/nope` }, register: 'u3', ignore_errors: true },
        out('g1'),
        out('g2'),
        out('g3'),
        out('u1'),
        out('u2'),
        out('u3'),
      ],
    },
  ]);
}

/** Keys whose values depend on the run (time, temp names, server date), compared as present only. */
const VOLATILE = new Set(['elapsed', 'src', 'date', 'last_modified', 'invocation', 'cookies', 'cookies_string', 'connection', 'keep_alive']);

t.test('get_url/uri results as ansible-playbook', { skip: ansibleInstalled() ? false : 'ansible-playbook not installed' }, async (t) => {
  const root = t.testdir({ ansible: {}, bosun: {} });
  const srv = await startServer(t, '127.0.0.1', {
    '/rel.tgz': bytes(BODY),
    '/health': (_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"health": "true"}');
    },
  });
  const inv = join(root, 'inv.yml');
  writeFileSync(inv, stringify({ all: { hosts: { localhost: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' } } } }));
  writeFileSync(join(root, 'a.yml'), playbook(srv.base, join(root, 'ansible')));
  writeFileSync(join(root, 'b.yml'), playbook(srv.base, join(root, 'bosun')));
  const a = await runAnsible('ansible-playbook', [join(root, 'a.yml'), '-i', inv], root);
  t.equal(a.code, 0, a.stdout + a.stderr);
  const b = await runBosun([join(root, 'b.yml'), '-i', inv], root);
  t.equal(b.code, 0, b.stdout + b.stderr);

  for (const name of ['g1', 'g2', 'g3', 'u1', 'u2', 'u3']) {
    const [af, bf] = [join(root, 'ansible', `${name}.json`), join(root, 'bosun', `${name}.json`)];
    t.ok(existsSync(af) && existsSync(bf), `${name}: both registered`);
    const ar = JSON.parse(readFileSync(af, 'utf8').replace(/^result=/, '')) as Record<string, unknown>;
    const br = JSON.parse(readFileSync(bf, 'utf8').replace(/^result=/, '')) as Record<string, unknown>;
    // bosun leaves out only what it documents as unsupported (cookies) and Ansible's invocation echo
    const missing = Object.keys(ar).filter((k) => !(k in br) && !['invocation', 'cookies', 'cookies_string', 'warnings', 'deprecations'].includes(k));
    t.same(missing, [], `${name}: every key Ansible returns (${Object.keys(ar).sort().join(', ')})`);
    for (const [k, v] of Object.entries(ar)) {
      if (VOLATILE.has(k) || !(k in br) || k === 'msg' || k === 'response') continue;
      // each tool wrote into its own directory
      if (k === 'dest') {
        t.equal(basename(String(br[k])), basename(String(v)), `${name}.dest`);
        continue;
      }
      t.same(br[k], v, `${name}.${k}`);
    }
  }
});
