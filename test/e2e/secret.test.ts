// A secret passed to modules over SSH never shows in any process's argv or environment, on the
// remote host (every /proc/*/cmdline and environ, polled by a separate ssh while the tasks run)
// or locally, nor in the -vvv --diff output of no_log tasks; and it does arrive on the host.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { sshArgs } from '../../lib/lab/lab.js';
import { withLab } from '../helpers/lab.js';
import { FIXTURES, bosunRun, parseRecap, remote, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

const PLAYBOOK = path.join(FIXTURES, 'secret/site.yml');

/** Every local process's argv and environment that contain `needle`. */
function localLeaks(needle: string): string[] {
  const hits: string[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    for (const f of ['cmdline', 'environ']) {
      try {
        if (fs.readFileSync(`/proc/${d}/${f}`).includes(needle)) hits.push(`${d}/${f}`);
      } catch {
        // gone, or not ours to read
      }
    }
  }
  return hits;
}

t.test('secrets stay out of argv and output', async (t) => {
  const lab = await withLab(t, { hosts: 1, name: 'e2e-secret', subnetIndex: 24 });
  const tmp = tempDir(t, 'e2e-secret-');
  const inv = writeInventory(lab, tmp);
  const secret = `pw-${randomBytes(12).toString('hex')}-'"$ x`;
  const varsFile = path.join(tmp, 'vars.json');
  const plain = `plain${randomBytes(12).toString('hex')}`;
  fs.writeFileSync(varsFile, JSON.stringify({ secret, plain_secret: plain }));

  // Remote poller: dumps every process's argv and environment until told to stop. Its own argv
  // holds no secret, so anything matching came from bosun's requests.
  const poller = spawn(
    'ssh',
    [
      ...sshArgs(lab, 'node1'),
      `rm -f /run/e2e-stop; while [ ! -e /run/e2e-stop ]; do for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do cat "$f" 2>/dev/null; echo; done; done; echo POLL-END`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const seen: Buffer[] = [];
  poller.stdout.on('data', (b: Buffer) => seen.push(b));
  const pollerDone = new Promise<void>((r) => poller.on('close', () => r()));
  t.teardown(() => void poller.kill());

  const local: string[] = [];
  const localTimer = setInterval(() => local.push(...localLeaks(secret)), 100);
  const r = await bosunRun([PLAYBOOK, '-i', inv, '-e', `@${varsFile}`, '-vvv', '--diff']);
  clearInterval(localTimer);
  await remote(lab, 'node1', 'touch /run/e2e-stop');
  await pollerDone;

  t.equal(r.code, 0, 'run succeeds', { out: r.out.slice(-3000), err: r.err });
  t.match(parseRecap(r.out).node1, { changed: 4, ok: 5, failed: 0 }); // ok counts changed tasks too, as Ansible
  const dump = Buffer.concat(seen);
  t.ok(dump.includes('POLL-END'), 'poller ran to the end');
  t.ok(dump.includes('sleep\x002'), 'poller saw the task running (sleep 2)');
  t.notOk(dump.includes(secret), 'secret in no remote argv or environment');
  t.notOk(dump.includes(plain), 'script-text secret in no remote argv either');
  // Also catches the lab hosts' processes: the root pid namespace sees theirs too.
  t.same(local, [], 'secret in no argv or environment on this machine');
  t.notOk(r.out.includes(secret), 'secret not in -vvv --diff output');
  t.notOk(r.err.includes(secret), 'secret not in stderr');
  t.notOk(r.out.includes(plain), 'no_log task: secret in its script not in the -vvv request trace');
  t.match(r.out, /\[node1\] [\w:.-]+: "/, '-vvv traced the requests');
  t.match(r.out, /censored/, 'no_log results are censored');

  // It did arrive, byte-exact, through the payloads.
  const got = await remote(lab, 'node1', 'cd /var/lib/bosun-e2e-s && cat secret && echo / && cat from-stdin && echo / && cat from-command');
  t.equal(got.out.toString(), `${secret}/\n${secret}\n/\n${secret}\n`, 'secret delivered: content as is, stdin with a newline');
});
