// docs/json-events.schema.json is the contract of --output json: every event of full fixture runs
// validates against it, every event kind of the schema is produced, and docs/json-events.md names
// every event and field. The validator covers the subset of JSON Schema the file uses.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, run } from '../helpers/run.js';
import { JSON_EVENTS_VERSION } from '../../lib/output/json.js';

type Schema = {
  $ref?: string;
  oneOf?: Schema[];
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  [k: string]: unknown;
};

const KNOWN = new Set(['$schema', '$id', 'title', 'description', '$defs', '$ref', 'oneOf', 'type', 'const', 'enum', 'pattern', 'minimum', 'required', 'properties', 'additionalProperties', 'items']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Returns the errors ('' path = the root); an empty list means valid. */
export function validate(root: Schema, s: Schema, v: unknown, path = ''): string[] {
  for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`validator does not support keyword ${k} (at ${path || '/'})`);
  if (s.$ref) {
    const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
    const target = m ? (root.$defs as Record<string, Schema>)[m[1]!] : undefined;
    if (!target) throw new Error(`bad $ref ${s.$ref}`);
    return validate(root, target, v, path);
  }
  const errs: string[] = [];
  if (s.oneOf) {
    const ok = s.oneOf.filter((x) => validate(root, x, v, path).length === 0).length;
    if (ok !== 1) errs.push(`${path}: matches ${ok} of oneOf (want exactly 1)`);
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const tv = typeOf(v);
    if (!types.some((x) => x === tv || (x === 'number' && tv === 'integer'))) return [...errs, `${path}: type ${tv}, want ${types.join('|')}`];
  }
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(v)) errs.push(`${path}: ${JSON.stringify(v)} != const ${JSON.stringify(s.const)}`);
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) errs.push(`${path}: ${JSON.stringify(v)} not in enum`);
  if (s.pattern && typeof v === 'string' && !new RegExp(s.pattern, 'u').test(v)) errs.push(`${path}: '${v}' does not match ${s.pattern}`);
  if (s.minimum !== undefined && typeof v === 'number' && v < s.minimum) errs.push(`${path}: ${v} < ${s.minimum}`);
  if (Array.isArray(v) && s.items) v.forEach((x, i) => errs.push(...validate(root, s.items!, x, `${path}/${i}`)));
  if (typeOf(v) === 'object') {
    const o = v as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in o)) errs.push(`${path}: missing ${r}`);
    for (const [k, x] of Object.entries(o)) {
      const p = s.properties?.[k];
      if (p) errs.push(...validate(root, p, x, `${path}/${k}`));
      else if (s.additionalProperties === false) errs.push(`${path}: unexpected property ${k}`);
      else if (typeof s.additionalProperties === 'object') errs.push(...validate(root, s.additionalProperties, x, `${path}/${k}`));
    }
  }
  return errs;
}

const schema = JSON.parse(readFileSync(join(repoRoot, 'docs', 'json-events.schema.json'), 'utf8')) as Schema;
const SITE = join(repoRoot, 'test/fixtures/playbooks/site');

function events(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

t.test('the validator rejects what it should', async (t) => {
  const ok = { v: 1, event: 'warning', time: '2024-01-01T00:00:00.000Z', msg: 'x' };
  t.same(validate(schema, schema, ok), []);
  t.not(validate(schema, schema, { ...ok, v: 2 }).length, 0, 'other version');
  t.not(validate(schema, schema, { ...ok, extra: 1 }).length, 0, 'unknown field');
  t.not(validate(schema, schema, { ...ok, event: 'nope' }).length, 0, 'unknown event');
  t.not(validate(schema, schema, { v: 1, event: 'warning', time: '2024-01-01T00:00:00.000Z' }).length, 0, 'missing field');
  t.not(validate(schema, schema, { ...ok, time: 'yesterday' }).length, 0, 'pattern');
  t.equal(schema.$defs && (schema.$defs as Record<string, Schema>).v!.const, JSON_EVENTS_VERSION, 'schema version = JSON_EVENTS_VERSION');
});

t.test('every event of full runs validates; every event kind is produced', async (t) => {
  const out = t.testdir({});
  const seen = new Set<string>();
  const check = (label: string, stdout: string) => {
    const evs = events(stdout);
    for (const [i, e] of evs.entries()) {
      seen.add(String(e.event));
      const errs = validate(schema, schema, e);
      t.same(errs, [], `${label} event ${i} (${String(e.event)}) valid`);
    }
    return evs;
  };
  // the site fixture: roles, includes, loops with labels, handlers, diff, check mode skips
  const first = await run([`${SITE}/site.yml`, '-i', `${SITE}/inventory.yml`, '-e', `out=${out}`, '--output', 'json', '--diff']);
  t.equal(first.code, 0, first.stderr);
  const evs = check('site', first.stdout);
  t.ok(evs.some((e) => e.event === 'host_result' && Array.isArray(e.diff) && (e.diff as unknown[]).length > 0), 'a diff was produced');
  t.ok(evs.some((e) => e.event === 'host_result' && typeof e.item === 'string'), 'a loop item');
  t.ok(evs.some((e) => e.kind === 'handler'), 'a handler ran');
  check('site --check', (await run([`${SITE}/site.yml`, '-i', `${SITE}/inventory.yml`, '-e', `out=${t.testdir({})}`, '--output', 'json', '--check', '--diff'])).stdout);

  // failures, ignored errors, skips, no_log, delegation, a warning, an unreachable host (ssh to a closed loopback port)
  const dir = t.testdir({
    'inv.yml': `all:
  hosts:
    h1: { ansible_connection: local }
    gone: { ansible_host: 127.0.0.1, ansible_port: 1, ansible_user: nobody }
`,
    'play.yml': `- hosts: nomatch
  tasks: [ { debug: { msg: x } } ]
- hosts: all
  gather_facts: false
  tasks:
    - name: ignored failure
      command: "false"
      ignore_errors: true
    - name: skipped
      debug: { msg: never }
      when: false
    - name: hidden
      command: echo topsecret
      no_log: true
    - name: delegated
      command: "true"
      delegate_to: localhost
      when: inventory_hostname == 'h1'
    - name: retried once
      command: "true"
      register: r
      until: r.attempts > 1
      retries: 1
      delay: 0
    - name: hard failure
      fail: { msg: boom }
      any_errors_fatal: true
`,
  });
  const mixed = await run([join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'), '--output', 'json']);
  t.equal(mixed.code, 2, 'a host failed (and one was unreachable)');
  const mevs = check('mixed', mixed.stdout);
  t.ok(mevs.some((e) => e.status === 'unreachable'));
  t.ok(mevs.some((e) => e.status === 'failed' && e.ignored === true));
  t.ok(mevs.some((e) => e.status === 'skipped'));
  t.ok(mevs.some((e) => e.delegated_to === 'localhost'));
  t.notMatch(mixed.stdout, /topsecret/);

  // a load error is an `error` event
  const bad = t.testdir({ 'play.yml': '- hosts: localhost\n  tasks:\n    - cpy: { dest: /x }\n' });
  const err = await run([join(bad, 'play.yml'), '--output', 'json']);
  t.equal(err.code, 4);
  check('error', err.stdout);

  const kinds = ((schema.oneOf ?? []) as Schema[]).map((s) => s.$ref!.replace('#/$defs/', ''));
  t.same([...seen].sort(), [...kinds].sort(), 'every event kind of the schema was produced and validated');
});

t.test('docs/json-events.md documents every event and field of the schema', async (t) => {
  const md = readFileSync(join(repoRoot, 'docs', 'json-events.md'), 'utf8');
  const defs = schema.$defs as Record<string, Schema>;
  for (const ref of (schema.oneOf ?? []) as Schema[]) {
    const name = ref.$ref!.replace('#/$defs/', '');
    const at = md.indexOf(`### \`${name}\``);
    t.ok(at >= 0, `section for ${name}`);
    const section = md.slice(at, md.indexOf('\n### ', at + 1) === -1 ? undefined : md.indexOf('\n### ', at + 1));
    const common = md.slice(0, md.indexOf('## Events'));
    for (const field of Object.keys(defs[name]!.properties ?? {})) {
      // v, event, time are documented once, for every event
      t.match(['v', 'event', 'time'].includes(field) ? common : section, `| \`${field}\` |`, `${name}.${field} documented`);
    }
  }
});
