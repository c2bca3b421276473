// Variable scopes and precedence (lowest → highest, Ansible's order; see docs/variables.md):
//   role defaults < inventory (all < parent groups < child groups < host, incl. group_vars/host_vars)
//   < facts < play vars < vars_files < role vars < block/task vars < set_fact/register < extra vars
// Magic variables (inventory_hostname, groups, hostvars, …) are set last and cannot be overridden.
//
// Values that contain templates are rendered lazily on first access, against the same scope, so a
// variable may refer to another (`etcd_env_file: "{{ etcd_config_dir }}/etcd.conf"`), as in Ansible.
//
// Only text the operator wrote is a template. A layer marked with dataLayer() — facts, register
// results, set_fact values (already rendered), loop items — holds data from a host or from rendering:
// its values are never rendered, whatever they contain (Ansible's "unsafe"). A host that prints
// `{{ etcd_root_password }}` must get that text back, never the password.
import { isUndefinedError } from './jinja/tokenizer.js';
import { TemplateError, type SourceLocation } from '../errors.js';
import { keyLoc } from '../loaders/yaml.js';
import { registerSecretVar } from './secret-vars.js';

export type Vars = Record<string, unknown>;

export interface Renderer {
  renderValue(value: unknown, vars: Vars, file: string, locOf?: (container: unknown, key?: string | number) => SourceLocation | undefined): unknown;
  renderString(text: string, vars: Vars, file: string, baseLine?: number): unknown;
  hasTemplate(s: string): boolean;
}

/** Source positions of loaded YAML values, for template errors. */
export const yamlLocOf = (container: unknown, key?: string | number): SourceLocation | undefined =>
  key === undefined ? undefined : keyLoc(container, String(key));

export interface Layer {
  /** For docs/tests: which precedence level this is. */
  name: string;
  vars: Vars;
}

const DATA_LAYERS = new WeakSet<object>();

/** Marks a layer as data (host-derived or already rendered): buildScope never renders its values. */
export function dataLayer<T extends Vars>(layer: T): T {
  DATA_LAYERS.add(layer);
  return layer;
}

export function isDataLayer(layer: Vars): boolean {
  return DATA_LAYERS.has(layer);
}

/** Per scope: the names whose value came from a data layer (host data or a rendering result). */
const DATA_KEYS = new WeakMap<object, ReadonlySet<string>>();

/** Records that `names` of `scope` hold data (its own data names added to those of `from`). */
export function markDataKeys(scope: Vars, names: Iterable<string>, from?: Vars): void {
  const set = new Set(from ? DATA_KEYS.get(from) : undefined);
  for (const n of names) set.add(n);
  DATA_KEYS.set(scope, set);
}

/**
 * Whether `name` in `scope` holds data: from a data layer, or a name a scope does not track (a
 * plain object built elsewhere counts as data, so the answer errs on the safe side). A conditional
 * never evaluates such a value as an expression (expr.ts).
 */
export function isDataName(scope: Vars, name: string): boolean {
  const keys = DATA_KEYS.get(scope);
  return keys === undefined || keys.has(name);
}

function containsTemplate(v: unknown, r: Renderer, depth = 0): boolean {
  if (typeof v === 'string') return r.hasTemplate(v);
  if (depth > 20 || v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some((x) => containsTemplate(x, r, depth + 1));
  return Object.values(v as Vars).some((x) => containsTemplate(x, r, depth + 1));
}

/**
 * Builds one scope from layers. Keys of later layers win. Template values of operator layers become
 * lazy getters; values of data layers (dataLayer()) and `magic` values are plain; magic wins over everything.
 */
/**
 * `lenient`: a variable whose template uses something undefined is its raw text, not an error
 * (Ansible's hostvars: HostVarsVars templates with fail_on_undefined=False).
 */
export function buildScope(layers: Array<Vars | undefined>, magic: Vars, renderer: Renderer, lenient = false): Vars {
  const scope: Vars = {};
  const sources = new Map<string, { value: unknown; owner: Vars; data: boolean }>();
  for (const layer of layers) {
    if (!layer) continue;
    const data = DATA_LAYERS.has(layer);
    for (const k of Object.keys(layer)) sources.set(k, { value: layer[k], owner: layer, data });
  }
  markDataKeys(scope, [...sources].filter(([k, src]) => src.data && !(k in magic)).map(([k]) => k));
  const resolving = new Set<string>();
  for (const [k, src] of sources) {
    if (k in magic) continue;
    if (src.data || !containsTemplate(src.value, renderer)) {
      registerSecretVar(k, src.value);
      scope[k] = src.value;
      continue;
    }
    let cached: { v: unknown } | undefined;
    Object.defineProperty(scope, k, {
      enumerable: true,
      configurable: true,
      get() {
        if (cached) return cached.v;
        if (resolving.has(k)) {
          const loc = keyLoc(src.owner, k);
          throw new TemplateError(`recursive loop detected in variable '${k}' (${[...resolving, k].join(' -> ')})`, { loc });
        }
        resolving.add(k);
        try {
          const loc: SourceLocation | undefined = keyLoc(src.owner, k);
          let v: unknown;
          try {
            v =
              typeof src.value === 'string'
                ? renderer.renderString(src.value, scope, loc?.file ?? `variable ${k}`, loc?.line ?? 1)
                : renderer.renderValue(src.value, scope, loc?.file ?? `variable ${k}`, yamlLocOf);
          } catch (e) {
            if (!lenient || !isUndefinedError(e)) throw e;
            v = src.value;
          }
          // a secret-looking variable built by a template is a secret once rendered
          registerSecretVar(k, v);
          cached = { v };
          return v;
        } finally {
          resolving.delete(k);
        }
      },
    });
  }
  // descriptors, not values: a lazy magic variable (play_hosts) stays lazy
  Object.defineProperties(scope, Object.getOwnPropertyDescriptors(magic));
  return scope;
}

/** Parses `-e` values: `k=v k2=v2`, `@file.yml`, or inline JSON/YAML mapping. */
export function parseKeyValues(s: string): Vars | undefined {
  const out: Vars = {};
  // shell-like split honouring quotes
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))/g;
  let m: RegExpExecArray | null;
  let consumed = '';
  while ((m = re.exec(s))) {
    const v = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4] !== undefined ? m[4] : m[5]!;
    out[m[1]!] = v;
    consumed += m[0];
  }
  if (consumed.replace(/\s/g, '') !== s.replace(/\s/g, '')) return undefined;
  return out;
}
