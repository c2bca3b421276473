// --step: y runs a task, n (or Enter) skips it, c runs it and all later ones; end of input skips the rest.
import t from 'tap';
import { Readable } from 'node:stream';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../lib/cli/run.js';
import { createStepper } from '../../lib/cli/step.js';
import type { TaskInfo } from '../../lib/engine/report.js';

const playbook = (out: string) => `- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
${['one', 'two', 'three', 'four']
  .map((n) => `    - name: touch ${n}\n      file: { path: "${out}/${n}", state: touch }\n      notify: done`)
  .join('\n')}
  handlers:
    - name: done
      file: { path: "${out}/handler", state: touch }
`;

async function stepRun(dir: string, answers: string, extra: string[] = []) {
  let stdout = '';
  let stderr = '';
  const code = await runCommand([join(dir, 'play.yml'), '--step', ...extra], {
    out: (s) => void (stdout += s),
    err: (s) => void (stderr += s),
    isTTY: false,
    stdin: Readable.from([answers]),
  });
  return { code, stdout, stderr };
}

t.test('y runs, n and Enter skip, c runs everything after without asking', async (t) => {
  const out = t.testdir({});
  const dir = t.testdir({ 'play.yml': playbook(out) });
  const r = await stepRun(dir, 'y\nn\n\nc\n');
  t.equal(r.code, 0);
  t.ok(existsSync(join(out, 'one')), 'y: ran');
  t.notOk(existsSync(join(out, 'two')), 'n: skipped');
  t.notOk(existsSync(join(out, 'three')), 'Enter: skipped (the default is no)');
  t.ok(existsSync(join(out, 'four')), 'c: ran');
  t.ok(existsSync(join(out, 'handler')), 'after c the handler runs without a question');
  t.match(r.stdout, 'Perform task: TASK: touch one (N)o/(y)es/(c)ontinue: y\n');
  t.match(r.stdout, 'Perform task: TASK: touch two (N)o/(y)es/(c)ontinue: n\n');
  t.equal(r.stdout.match(/Perform task/g)?.length, 4, 'asked four times, not for the handler after c');
  t.notMatch(r.stdout, /TASK \[touch two\]/, 'a skipped task has no banner');
  t.match(r.stdout, /TASK \[touch four\]/);
});

t.test('end of input skips every remaining task; the handler is asked too', async (t) => {
  const out = t.testdir({});
  const dir = t.testdir({ 'play.yml': playbook(out) });
  const r = await stepRun(dir, 'yes\n');
  t.equal(r.code, 0);
  t.ok(existsSync(join(out, 'one')));
  t.notOk(existsSync(join(out, 'two')));
  t.match(r.stdout, 'Perform task: TASK: touch two (N)o/(y)es/(c)ontinue: (end of input: no)\n');
  t.match(r.stdout, 'Perform task: RUNNING HANDLER: done (N)o/(y)es/(c)ontinue: (end of input: no)\n');
  t.notOk(existsSync(join(out, 'handler')));
});

t.test('with --output json the questions go to stderr, stdout stays JSON', async (t) => {
  const out = t.testdir({});
  const dir = t.testdir({ 'play.yml': playbook(out) });
  const r = await stepRun(dir, 'c\n', ['--output', 'json']);
  t.equal(r.code, 0);
  for (const l of r.stdout.trim().split('\n')) t.doesNotThrow(() => JSON.parse(l));
  t.match(r.stderr, 'Perform task: TASK: touch one');
});

t.test('a terminal echoes the answer itself', async (t) => {
  let written = '';
  const input = Object.assign(Readable.from(['y\n']), { isTTY: true });
  const s = createStepper(input, (x) => void (written += x));
  const task: TaskInfo = { name: 'x', title: 'r : x', kind: 'task', tags: [] };
  t.equal(await s.ask(task), true);
  t.equal(written, 'Perform task: TASK: r : x (N)o/(y)es/(c)ontinue: ');
  s.close();
});
