// Quoting over SSH: names and contents with spaces, quotes, `$`, backquotes, backslashes,
// newlines and non-ASCII arrive byte-exact on the host (copy with content and src, template,
// file state=directory and state=link), nothing is evaluated, and a rerun sees them as unchanged.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shq } from '../../lib/executor/types.js';
import { withLab } from '../helpers/lab.js';
import { FIXTURES, bosunRun, parseRecap, remote, tempDir, writeInventory } from '../fixtures/e2e/harness.js';

const HOSTS = ['node1', 'node2'];
const PLAYBOOK = path.join(FIXTURES, 'quoting/site.yml');

const DIR = `/var/lib/bosun e2e 'q' "$x"`;
// Every troublemaker at once; `$(...)` and backquotes would create /var/tmp/pwned-* if evaluated
// (a name cannot hold "/", so ${S} stands for it: $HOME is /root on the lab hosts).
const S = '${HOME%%root}';
const NAME = `it's "odd" $HOME \\back\\slash\nsecond line ünïcødé ☃ $(touch ${S}var${S}tmp${S}pwned-name) \`touch ${S}var${S}tmp${S}pwned-bq\` *  ;|&<>`;
const CONTENT = `line 1 with 'single' and "double" quotes\n$HOME $(touch /var/tmp/pwned-content) \`id\` \\n not a newline \\\\ two\r\ncrlf\ttab ünïcødé ☃ 🚀\n\n  trailing spaces  `;
// The src file also holds bytes that are not UTF-8 at all.
const SRC_BYTES = Buffer.concat([Buffer.from(CONTENT + '\n'), Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x0a, 0x00])]);

t.test('hostile names and contents arrive byte-exact', async (t) => {
  const lab = await withLab(t, { hosts: 2, name: 'e2e-quote', subnetIndex: 23 });
  const tmp = tempDir(t, 'e2e-quote-');
  const inv = writeInventory(lab, tmp);
  const srcFile = path.join(tmp, `src ${NAME.replace(/\n/g, ' ')}`);
  fs.writeFileSync(srcFile, SRC_BYTES);
  const varsFile = path.join(tmp, 'vars.json');
  fs.writeFileSync(varsFile, JSON.stringify({ dir: DIR, weird_name: NAME, weird_content: CONTENT, src_file: srcFile }));

  const first = await bosunRun([PLAYBOOK, '-i', inv, '-e', `@${varsFile}`]);
  t.equal(first.code, 0, 'run succeeds', { out: first.out.slice(-3000), err: first.err });
  for (const h of HOSTS) t.match(parseRecap(first.out)[h], { changed: 6, failed: 0 });

  const template = fs
    .readFileSync(path.join(FIXTURES, 'quoting/templates/weird.hbs'), 'utf8')
    .replace('{{ weird_content }}', CONTENT)
    .replace('{{ weird_name }}', NAME);
  const p = (leaf: string): string => shq(`${DIR}/${leaf}`);

  for (const h of HOSTS) {
    const cat = async (leaf: string): Promise<Buffer> => {
      const r = await remote(lab, h, `cat -- ${p(leaf)}`);
      t.equal(r.code, 0, `${h}: read ${JSON.stringify(leaf)}`, { err: r.err });
      return r.out;
    };
    t.same(await cat(NAME), Buffer.from(CONTENT), `${h}: copy content byte-exact`);
    t.same(await cat(`${NAME}.src`), SRC_BYTES, `${h}: copy src byte-exact (binary included)`);
    t.equal((await cat(`${NAME}.tpl`)).toString('utf8'), template, `${h}: template byte-exact`);

    const link = await remote(lab, h, `readlink -- ${p(`${NAME} link`)}; printf /`);
    t.equal(link.out.toString('utf8'), `${NAME}\n/`, `${h}: link target byte-exact`);
    // Exactly the expected entries (type and full name), NUL-separated so newlines in names are safe.
    const ls = await remote(lab, h, `cd -- ${shq(DIR)} && find . -mindepth 1 -printf '%y %P\\0'`);
    t.same(
      ls.out.toString('utf8').split('\0').filter(Boolean).sort(),
      [`f ${NAME}`, `f ${NAME}.src`, `f ${NAME}.tpl`, `d ${NAME} dir`, `l ${NAME} link`].sort(),
      `${h}: exactly the expected names`,
    );
    const pwned = await remote(lab, h, 'ls /var/tmp | grep pwned || echo none');
    t.equal(pwned.out.toString(), 'none\n', `${h}: nothing was evaluated`);
  }

  // Probes read the odd names back correctly: a rerun finds everything in place.
  const again = await bosunRun([PLAYBOOK, '-i', inv, '-e', `@${varsFile}`]);
  t.equal(again.code, 0, 'rerun succeeds', { err: again.err });
  for (const h of HOSTS) t.match(parseRecap(again.out)[h], { changed: 0, failed: 0 }, `${h}: rerun changed=0`);
});
