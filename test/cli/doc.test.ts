// bosun doc: module list, one module's arguments from its schema, --markdown, and the drift check
// of the committed docs/modules/ against a fresh generation.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.js';
import { OptionsError } from '../../lib/errors.js';
import { getModule, moduleNames } from '../../lib/modules/index.js';
import { renderModuleText } from '../../lib/cli/doc.js';
import { repoRoot } from '../helpers/run.js';

async function bosun(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(argv, { out: (s) => void (out += s), err: () => {}, isTTY: false });
  return { code, out };
}

t.test('bosun doc lists every module with its short description, and the engine actions', async (t) => {
  const { code, out } = await bosun(['doc']);
  t.equal(code, 0);
  for (const n of moduleNames()) {
    const m = await getModule(n);
    t.match(out, new RegExp(`^${n} +${m.doc.short.replace(/[()[\].*+?]/g, '\\$&')}$`, 'm'), n);
  }
  t.match(out, /^set_fact +/m);
});

t.test('bosun doc MODULE: every argument with type, default, required, choices, aliases, secret; check/diff; examples', async (t) => {
  const { code, out } = await bosun(['doc', 'wait_for']);
  t.equal(code, 0);
  t.match(out, /^wait_for — Wait for a TCP port/);
  t.match(out, '  state  (str, default: started, choices: started|stopped|present|absent)\n');
  t.match(out, '  timeout  (int, default: 300)\n      Seconds to wait before failing.');
  t.match(out, 'check mode: full');
  t.match(out, 'diff:       no');
  t.match(out, 'EXAMPLES\n  - wait_for: { port: 2379');
  const copy = (await bosun(['doc', 'ansible.builtin.copy'])).out;
  t.match(copy, '  dest  (path, required)');
  t.match(copy, 'diff:       yes');
  // every module: each schema argument appears, with "required" exactly when the schema says so
  for (const n of moduleNames()) {
    const m = await getModule(n);
    const text = renderModuleText(m);
    for (const [arg, spec] of Object.entries(m.args)) {
      const line = text.split('\n').find((l) => l.startsWith(`  ${arg}  (`));
      t.ok(line, `${n}.${arg} documented`);
      t.equal(line!.includes('required'), spec.required === true, `${n}.${arg} required flag`);
      if (spec.secret) t.match(line!, 'secret', `${n}.${arg} secret`);
      if (spec.aliases?.length) t.match(line!, `aliases: ${spec.aliases.join(', ')}`);
    }
    if (m.freeForm) t.match(text, new RegExp(`  ${m.freeForm}  \\([^)]*free form\\)`), `${n} free form`);
  }
});

t.test('bosun doc with an unknown module suggests the nearest', async (t) => {
  const e = await bosun(['doc', 'copi']).catch((x: unknown) => x);
  t.type(e, OptionsError);
  t.match((e as OptionsError).oneLine(), "unknown module 'copi' (did you mean 'copy'?");
  t.equal((await bosun(['doc', 'set_fact'])).code, 0);
});

t.test('docs/modules is what bosun doc --markdown generates (drift check)', async (t) => {
  const dir = t.testdir({});
  const { code } = await bosun(['doc', '--markdown', dir]);
  t.equal(code, 0);
  const committed = join(repoRoot, 'docs', 'modules');
  const fresh = readdirSync(dir).sort();
  // authoring.md is written by hand (the guide for modules from outside the tree)
  t.same(readdirSync(committed).filter((f) => f !== 'authoring.md').sort(), fresh, 'same files');
  for (const f of fresh) {
    t.equal(readFileSync(join(committed, f), 'utf8'), readFileSync(join(dir, f), 'utf8'), `docs/modules/${f} is up to date (regenerate: bosun doc --markdown docs/modules)`);
  }
  t.match(readFileSync(join(dir, 'etcdctl.md'), 'utf8'), /^\| `op` \| str \| yes \|/m);
});
