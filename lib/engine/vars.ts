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

interface Source {
  readonly key: string;
  readonly value: unknown;
  /** The layer the value came from (its YAML positions name the file and line in errors). */
  readonly owner: Vars;
  readonly data: boolean;
  /** A template of an operator layer: rendered on first access, against the scope. */
  readonly lazy: boolean;
}

/** What a scope is made of, given the magic names on top (buildScope). */
interface Shape {
  /** Every name outside magic, in first-seen order, and its value; a lazy one's is a placeholder (replaced in place). */
  keys: string[];
  values: unknown[];
  lazy: Source[];
  dataKeys: ReadonlySet<string>;
}

/**
 * One layer's names as sources, made once per layer (a layer is never changed in place): whether a
 * value is a template is decided, and a plain secret-looking value registered, once — not again for
 * every sequence of layers it is part of (a register or set_fact makes a new one per task and host).
 */
const LAYER_SOURCES = new WeakMap<Vars, { renderer: Renderer; data: boolean; sources: Source[] }>();
function layerSources(layer: Vars, renderer: Renderer): Source[] {
  const data = DATA_LAYERS.has(layer);
  const hit = LAYER_SOURCES.get(layer);
  if (hit && hit.renderer === renderer && hit.data === data) return hit.sources;
  const sources: Source[] = [];
  for (const k of Object.keys(layer)) {
    const value = layer[k];
    const lazy = !data && containsTemplate(value, renderer);
    // a plain value is registered here; a template once rendered (buildScope)
    if (!lazy) registerSecretVar(k, value);
    sources.push({ key: k, value, owner: layer, data, lazy });
  }
  LAYER_SOURCES.set(layer, { renderer, data, sources });
  return sources;
}

/** Which value wins for each name, for one sequence of layers: the same for every task that has them. */
class Resolution {
  private readonly entries: Source[] = [];
  private readonly shapes = new Map<string, Shape>();

  constructor(layers: Array<Vars | undefined>, renderer: Renderer) {
    const sources = new Map<string, Source>();
    for (const layer of layers) if (layer) for (const src of layerSources(layer, renderer)) sources.set(src.key, src);
    for (const src of sources.values()) this.entries.push(src);
  }

  /** The shape under this magic (in practice the same magic names for every scope of a run). */
  shape(magic: Vars): Shape {
    const sig = Object.keys(magic).join('\0');
    let sh = this.shapes.get(sig);
    if (!sh) {
      const keys: string[] = [];
      const values: unknown[] = [];
      const lazy: Source[] = [];
      const dataKeys = new Set<string>();
      for (const src of this.entries) {
        if (src.key in magic) continue;
        keys.push(src.key);
        values.push(src.lazy ? undefined : src.value);
        if (src.lazy) lazy.push(src);
        if (src.data) dataKeys.add(src.key);
      }
      this.shapes.set(sig, (sh = { keys, values, lazy, dataKeys }));
    }
    return sh;
  }
}

/**
 * Resolutions by the identity of each layer (and whether it is data). Every layer the engine passes
 * is replaced, never changed in place (facts, register/set_fact, include_vars: runner.ts/task.ts;
 * inventory variables: Inventory.hostVars, frozen), so a sequence seen before resolves the same.
 * Building the name → value map, and walking every operator value for templates, once per task
 * and host was most of a no-op's variable cost.
 */
interface Trie {
  next: WeakMap<object, Trie>;
  none?: Trie;
  done?: Map<string, Resolution>;
}
const RESOLUTIONS = new WeakMap<Renderer, Trie>();
const newTrie = (): Trie => ({ next: new WeakMap() });

function resolution(layers: Array<Vars | undefined>, renderer: Renderer): Resolution {
  let node = RESOLUTIONS.get(renderer);
  if (!node) RESOLUTIONS.set(renderer, (node = newTrie()));
  let bits = '';
  for (const layer of layers) {
    if (!layer) {
      node = node.none ??= newTrie();
      continue;
    }
    let n = node.next.get(layer);
    if (!n) node.next.set(layer, (n = newTrie()));
    node = n;
    bits += DATA_LAYERS.has(layer) ? '1' : '0';
  }
  const done = (node.done ??= new Map());
  let r = done.get(bits);
  if (!r) done.set(bits, (r = new Resolution(layers, renderer)));
  return r;
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
  const shape = resolution(layers, renderer).shape(magic);
  // the plain values, then a getter in place of each template: the same names, values and order as
  // resolving the layers here (a plain loop: cheaper than spreading a large object)
  const scope: Vars = {};
  const { keys, values } = shape;
  for (let i = 0; i < keys.length; i++) scope[keys[i]!] = values[i];
  DATA_KEYS.set(scope, shape.dataKeys);
  const resolving = new Set<string>();
  for (const src of shape.lazy) {
    const k = src.key;
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
  copyOwnProperties(scope, magic);
  return scope;
}

/**
 * Copies every own property of `from` onto `to` as it is (a getter stays a getter, unevaluated): an
 * ordinary writable value by assignment, which is several times cheaper than defining descriptors
 * (scopes hold hundreds of names and are copied per task and host).
 */
export function copyOwnProperties(to: Vars, from: Vars): void {
  for (const k of Reflect.ownKeys(from)) {
    const d = Object.getOwnPropertyDescriptor(from, k)!;
    if (d.writable && d.enumerable && d.configurable && typeof k === 'string' && k !== '__proto__') to[k] = d.value;
    else Object.defineProperty(to, k, d);
  }
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
