// package_facts: the dpkg-query and rpm -qa answers in Ansible's shape, and the facts injected.
import t from 'tap';
import pf, { factsScript, parseFacts } from '../../lib/modules/package_facts.js';
import { validateArgs } from '../../lib/modules/args.js';
import { fakeContext, runTask } from '../helpers/fake-ctx.js';
import { ScriptedConnection } from '../helpers/scripted-conn.js';

const APT = '@@apt amd64\nbash\t5.2.15-2+b8\tamd64\tshells\tii \nlibc6\t2.36-9\ti386\tlibs\tii \nold\t1.0\tamd64\tutils\trc \ntzdata\t2024a-0+deb12u1\tall\tlocalization\tii \n';
const RPM = '@@rpm\nkernel\t5.14.0\t362.el9\t(none)\tx86_64\nkernel\t5.14.0\t427.el9\t(none)\tx86_64\nperl-Errno\t1.30\t480.el9\t0\tx86_64\n';

t.test('Ansible\'s shape', async (t) => {
  const [apt] = parseFacts(APT + '@@end\n');
  t.same(apt!.packages, [
    { name: 'bash', version: '5.2.15-2+b8', arch: 'amd64', category: 'shells', source: 'apt' },
    { name: 'libc6:i386', version: '2.36-9', arch: 'i386', category: 'libs', source: 'apt' },
    { name: 'tzdata', version: '2024a-0+deb12u1', arch: 'all', category: 'localization', source: 'apt' },
  ], 'config-files only is not installed; a foreign arch is name:arch, as python-apt keys it');
  const [rpm] = parseFacts(RPM + '@@end\n');
  t.same(rpm!.packages[0], { name: 'kernel', version: '5.14.0', release: '362.el9', epoch: null, arch: 'x86_64', source: 'rpm' });
  t.equal(rpm!.packages[2]!.epoch, 0);
  t.match(factsScript(['apt', 'rpm']), /dpkg-query -W .*\n:\ncommand -v rpm .*rpm -qa/s);
});

t.test('one read-only request; first or all managers; several versions of one name', async (t) => {
  const conn = new ScriptedConnection([{ label: 'package_facts', reply: { stdout: APT + RPM + '@@end\n' } }]);
  const ctx = { ...fakeContext({ check: true }), conn };
  const first = await runTask(pf, ctx, validateArgs(pf, {}) as Parameters<typeof pf.plan>[1]);
  const pk = (first.outcome.result!.ansible_facts as { packages: Record<string, unknown[]> }).packages;
  t.same(Object.keys(pk).sort(), ['bash', 'libc6:i386', 'tzdata']);
  t.equal(first.outcome.changed, false);
  const all = await runTask(pf, ctx, validateArgs(pf, { strategy: 'all' }) as Parameters<typeof pf.plan>[1]);
  const pa = (all.outcome.result!.ansible_facts as { packages: Record<string, unknown[]> }).packages;
  t.equal(pa.kernel!.length, 2, 'two kernels');
  t.ok(conn.sent.every((s) => s.readOnly));
  const none = new ScriptedConnection([{ label: 'package_facts', reply: { stdout: '@@end\n' } }]);
  await t.rejects(runTask(pf, { ...fakeContext(), conn: none }, validateArgs(pf, { manager: 'rpm' }) as Parameters<typeof pf.plan>[1]), /Could not detect a supported package manager from the following list: rpm/);
  t.throws(() => validateArgs(pf, { manager: 'portage' }), /must be one of: auto, apt, rpm/);
});
