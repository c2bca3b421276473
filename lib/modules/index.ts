// Module registry. Modules are imported lazily so `bosun --version` and small playbooks don't pay
// for node-forge & co. at start-up.
import type { AnyModule } from './types.js';

const loaders: Record<string, () => Promise<{ default: AnyModule }>> = {
  command: () => import('./command.js'),
  shell: () => import('./shell.js'),
  copy: () => import('./copy.js'),
  template: () => import('./template.js'),
  file: () => import('./file.js'),
  stat: () => import('./stat.js'),
  wait_for: () => import('./wait_for.js'),
  debug: () => import('./debug.js'),
  assert: () => import('./assert.js'),
  fail: () => import('./fail.js'),
  cert: () => import('./cert.js'),
  service: () => import('./service.js'),
  etcdctl: () => import('./etcdctl.js'),
  ping: () => import('./ping.js'),
};

/** Names handled by the engine itself rather than by a module file. */
export const ENGINE_ACTIONS = [
  'set_fact',
  'meta',
  'include_tasks',
  'import_tasks',
  'include_role',
  'import_role',
] as const;

const cache = new Map<string, AnyModule>();

/** `ansible.builtin.copy` and `copy` are the same module; also accept `bosun.builtin.*`. */
export function canonicalModuleName(name: string): string {
  const m = /^(?:ansible|bosun)\.(?:builtin|legacy)\.(.+)$/.exec(name);
  return m ? m[1]! : name;
}

export function moduleNames(): string[] {
  return Object.keys(loaders).sort();
}

export function isModule(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(loaders, canonicalModuleName(name));
}

export async function getModule(name: string): Promise<AnyModule> {
  const canon = canonicalModuleName(name);
  const hit = cache.get(canon);
  if (hit) return hit;
  const load = loaders[canon];
  if (!load) throw new Error(`unknown module ${name}`);
  const mod = (await load()).default;
  cache.set(canon, mod);
  return mod;
}
