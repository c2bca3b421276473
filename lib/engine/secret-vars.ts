// Secret-looking variables, from every source, are secrets: their values are masked in every output
// path from the start of the run — before any banner, diff, -v result, trace or ERROR! line — not
// only once some `secret: true` module argument happens to use them. The rule is the one
// `bosun inventory` prints with: a key that names a password/secret/token/key (a path to one,
// `…_file`/`…_path`/`…_dir`/`…_src`/`…_dest`, is not a secret).
//
// Sources: -e (registerSecretVars on the parsed extra vars), the inventory (every host's merged
// variables), the playbook (play vars, vars_files, role defaults and vars, block/task vars), and,
// for values that are templates or come up while running (set_fact, register), the rendered value
// when a scope resolves it (vars.ts calls registerSecretVar).
import type { Play, Playbook, TaskNode } from '../ast.js';
import { registerSecret } from '../output/mask.js';

const SECRET_KEY = /(pass|passwd|password|passphrase|secret|token|credentials?|api_?key|private_?key|(^|_)key)$/i;
const PATH_KEY = /_(file|path|dir|src|dest)$/i;

const known = new Map<string, boolean>();

/** Keys whose values are credentials. Paths to them are not. (Memoised: every scope asks for every key.) */
export function isSecretKey(key: string): boolean {
  let r = known.get(key);
  if (r === undefined) {
    r = SECRET_KEY.test(key) && !PATH_KEY.test(key);
    if (known.size > 10_000) known.clear();
    known.set(key, r);
  }
  return r;
}

const MAX_DEPTH = 50;

/** Registers a secret-looking key's value (a template is registered once rendered, not as its source text). */
export function registerSecretVar(key: string, value: unknown): void {
  if (!isSecretKey(key)) return;
  const scalars = (v: unknown, depth: number): void => {
    if (typeof v === 'string') {
      if (!v.includes('{{')) registerSecret(v);
    } else if (typeof v === 'number' || typeof v === 'bigint') registerSecret(String(v));
    else if (Array.isArray(v) && depth < MAX_DEPTH) for (const x of v) scalars(x, depth + 1);
  };
  scalars(value, 0);
}

/** Walks a variables mapping (nested mappings and lists too: `users: [{name, password}]`). */
export function registerSecretVars(vars: unknown, depth = 0): void {
  if (vars === null || typeof vars !== 'object' || depth > MAX_DEPTH) return;
  if (Array.isArray(vars)) {
    for (const x of vars) registerSecretVars(x, depth + 1);
    return;
  }
  for (const [k, v] of Object.entries(vars as Record<string, unknown>)) {
    registerSecretVar(k, v);
    registerSecretVars(v, depth + 1);
  }
}

function tasks(nodes: readonly TaskNode[]): void {
  for (const n of nodes) {
    registerSecretVars(n.vars);
    if (n.kind === 'block') tasks([...n.block, ...n.rescue, ...n.always]);
  }
}

/** Every variable the playbook defines statically (play, vars_files, roles, blocks, tasks). */
export function registerPlaybookSecrets(playbook: Playbook): void {
  for (const play of playbook.plays as Play[]) {
    registerSecretVars(play.vars);
    for (const f of play.varsFiles) registerSecretVars(f.vars);
    for (const r of play.roles) {
      registerSecretVars(r.defaults);
      registerSecretVars(r.vars);
    }
    for (const s of play.sections) tasks(s.tasks);
    tasks(play.handlers);
  }
}
