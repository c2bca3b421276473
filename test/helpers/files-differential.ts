// Differential runs for the file-moving modules (fetch, copy trees, find): one playbook, written
// with the placeholder @W@ for its own work directory, runs once under ansible-playbook and once under
// bosun, each in a fresh copy of the same scratch tree (connection local). Each run's registered
// results are dumped as JSON by the playbook itself (`dump` below), so both sides are compared on
// what a later task would see, after the work directory is replaced by @W@ again.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { recap, run, spawnCollect, treeHash, type RecapLine } from './run.js';

export const ansibleAvailable = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).status === 0;

export interface SideRun {
  dir: string;
  code: number;
  out: string;
  recap: Record<string, RecapLine>;
  /** Registered results by host (then variable name), @W@ for the work directory. */
  results: Record<string, unknown>;
  tree: Record<string, string>;
}

/** The tasks that write every registered variable named in `vars` to @W@/results-HOST.json. */
export function dump(vars: string[]): Record<string, unknown>[] {
  const obj = `{ ${vars.map((v) => `'${v}': ${v}`).join(', ')} }`;
  return [{ name: 'dump results', copy: { content: `{{ ${obj} | to_json }}\n`, dest: '@W@/results-{{ inventory_hostname }}.json' } }];
}

const inventory = (hosts: string[]) =>
  stringify({ all: { hosts: Object.fromEntries(hosts.map((h) => [h, { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' }])) } });

// bosun runs in this process: one at a time, whatever runs beside it on Ansible's side
let bosunQueue: Promise<unknown> = Promise.resolve();
function bosunRun(argv: string[]): Promise<{ code: number; out: string }> {
  const p = bosunQueue.then(() => run(argv)).then((b) => ({ code: b.code, out: b.stdout + b.stderr }));
  bosunQueue = p.catch(() => undefined);
  return p;
}

/**
 * `seed` (a directory) is copied to each side's work dir `W`; `play` is the playbook with @W@ in it.
 * The two sides run at once (each in its own directory): the time is ansible-playbook's.
 */
export async function runBoth(root: string, seed: string, play: unknown, hosts: string[], opts: { check?: boolean; again?: boolean } = {}): Promise<{ ansible: SideRun; bosun: SideRun }> {
  const side = async (name: 'ansible' | 'bosun'): Promise<SideRun> => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    // again: a rerun on what the first run left (idempotence)
    if (!opts.again) cpSync(seed, join(dir, 'W'), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    const W = join(dir, 'W');
    writeFileSync(join(dir, 'inv.yml'), inventory(hosts));
    writeFileSync(join(dir, 'site.yml'), stringify(play).replaceAll('@W@', W));
    const argv = [join(dir, 'site.yml'), '-i', join(dir, 'inv.yml'), ...(opts.check ? ['--check'] : [])];
    const env = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ANSIBLE_LOCALHOST_WARNING: '0', ANSIBLE_DEPRECATION_WARNINGS: '0' };
    const { code, out } = name === 'ansible' ? await spawnCollect('ansible-playbook', argv, { env, cwd: dir, timeoutMs: 900_000 }).then((a) => ({ code: a.code, out: a.stdout + a.stderr })) : await bosunRun(argv);
    const results: Record<string, unknown> = {};
    for (const h of hosts) {
      try {
        results[h] = JSON.parse(readFileSync(join(W, `results-${h}.json`), 'utf8').replaceAll(W, '@W@'));
      } catch {
        results[h] = undefined;
      }
    }
    // fetched paths embed the work dir (dest/HOST/<W>/…): named @W@ on both sides
    const tree = Object.fromEntries(Object.entries(treeHash(W)).map(([k, v]) => [k.replace(W.slice(1), '@W@').replace(dir.slice(1), '@S@'), v]));
    return { dir: W, code, out, recap: recap(out), results, tree };
  };
  const [ansible, bosun] = await Promise.all([side('ansible'), side('bosun')]);
  return { ansible, bosun };
}

/** bosun's result without `msg` where Ansible's has none (bosun's results always carry a one-line msg). */
export function likeAnsible(bosun: unknown, ansible: unknown): unknown {
  if (!bosun || typeof bosun !== 'object' || Array.isArray(bosun)) return bosun;
  const a = (ansible && typeof ansible === 'object' ? ansible : {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(bosun).filter(([k]) => k !== 'msg' || 'msg' in a));
}

/** A registered result without the keys where bosun deliberately says more or less (see each test). */
export function without(v: unknown, keys: readonly string[]): unknown {
  if (Array.isArray(v)) return v.map((x) => without(x, keys));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !keys.includes(k)).map(([k, x]) => [k, without(x, keys)]));
  return v;
}
