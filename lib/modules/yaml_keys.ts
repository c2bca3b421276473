// yaml_keys: set some keys of a YAML file on the host and keep the rest of it (other keys, order,
// comments): one probe reads the file with its attributes, the edit happens here (util/yaml-edit.ts),
// the result is checked against an optional JSON Schema before anything is written, then written
// atomically like copy. Unchanged = one request (often none: the probe was fetched ahead).

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ArgumentError, MissingFileError } from '../errors.js';
import { defineModule, ModuleFailure, type DiffEntry, type ModuleContext } from './types.js';
import { attrChanges, MAX_CONTENT, normMode, probeFile, setAttrs, writeFile, type Attrs, type ProbeOptions } from './util/remote-file.js';
import { editYaml, YamlEditError } from './util/yaml-edit.js';
import { isPlainObject } from '../value-kind.js';

export interface YamlKeysArgs extends Attrs {
  path: string;
  set?: Record<string, unknown>;
  defaults?: Record<string, unknown>;
  exclusive?: string[];
  schema?: unknown;
  create: boolean;
  backup: boolean;
}

interface YamlKeysState {
  data: Buffer;
  contentChanged: boolean;
  attrs: Attrs;
}

const PROBE: ProbeOptions = { wantContent: true, follow: true };

type SchemaCheck = (value: unknown) => string[];
const validators = new Map<string, SchemaCheck>();

/** The schema as data: inline mapping, or a JSON/YAML file on the control node (files/, or absolute). */
function loadSchema(ctx: ModuleContext, schema: unknown): Record<string, unknown> {
  if (isPlainObject(schema)) return schema;
  const abs = ctx.findFile('files', String(schema));
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new MissingFileError(`yaml_keys: schema not found: ${String(schema)} (looked at ${abs})`, { loc: ctx.loc, cause: e });
  }
  const parsed: unknown = parseYaml(text);
  if (!isPlainObject(parsed)) throw new ModuleFailure(`yaml_keys: schema ${abs} is not a mapping (a JSON Schema object)`);
  return parsed;
}

/**
 * A validator for the schema (draft 7). @cfworker/json-schema interprets the schema (no generated
 * code, unlike ajv, which compiles it with `new Function`); loaded only when a task has a schema.
 */
async function validatorFor(schema: Record<string, unknown>): Promise<SchemaCheck> {
  const key = JSON.stringify(schema);
  const hit = validators.get(key);
  if (hit) return hit;
  const { Validator } = await import('@cfworker/json-schema');
  const v = new Validator(schema as ConstructorParameters<typeof Validator>[0], '7', false);
  const check: SchemaCheck = (value) => {
    const r = v.validate(value);
    if (r.valid) return [];
    // The leaves (type, enum, required, additionalProperties…), not the "property does not match" wrappers above them.
    const wrappers = new Set(['properties', 'items', 'false', 'allOf', 'anyOf', 'oneOf', '$ref', 'additionalItems']);
    const leaves = r.errors.filter((e) => !wrappers.has(e.keyword));
    return (leaves.length ? leaves : r.errors).map((e) => {
      const at = e.instanceLocation.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent).join('.');
      return `${at || '(top level)'}: ${e.error}`;
    });
  };
  validators.set(key, check);
  return check;
}

export default defineModule<YamlKeysArgs, YamlKeysState>({
  name: 'yaml_keys',
  doc: {
    short: 'Set keys of a YAML file on the host, keeping its other keys and comments (structured edit)',
    description:
      'Reads the file (one request), merges `set` into it (a mapping merges key by key into an existing mapping, any other value replaces), ' +
      'adds `defaults` only where the key is missing, and removes from each `exclusive` mapping the keys not named there. ' +
      'The operator\'s other keys, their order and comments stay; when nothing differs the file is not written. ' +
      'The result must validate against `schema` (JSON Schema draft 7) before anything is written, also in check mode. ' +
      'A missing file is created (unless create is false). Writes are atomic (temp file, attributes, rename), as copy. ' +
      'Key paths in `exclusive` are dotted (a key containing a dot cannot be addressed there).',
    check: 'full',
    diff: true,
    examples: [
      '- yaml_keys:',
      '    path: /etc/pcocc/batch.yaml',
      '    defaults: { type: slurm }',
      '    set:',
      '      settings: { etcd-servers: [node1.example.com], etcd-client-port: 2379, etcd-protocol: https }',
      '    exclusive: [settings]',
      '    schema: pcocc-batch-schema.yml',
      '    owner: root',
      '    mode: "0644"',
    ].join('\n'),
  },
  args: {
    path: { type: 'path', required: true, aliases: ['dest'], description: 'The YAML file on the host (one document whose top level is a mapping).' },
    set: { type: 'dict', description: 'Keys to set (nested mappings merge into existing ones key by key; lists and scalars replace).' },
    defaults: { type: 'dict', description: 'Keys set only where missing, e.g. {type: slurm} for a new file.' },
    exclusive: {
      type: 'list',
      elements: 'str',
      description: 'Dotted paths of mappings (e.g. settings) that keep only the keys named at that path in set/defaults; others are removed.',
    },
    schema: {
      type: 'raw',
      description: 'JSON Schema (draft 7) the resulting document must satisfy: an inline mapping, or a JSON/YAML file on the control node (files/ or absolute).',
    },
    create: { type: 'bool', default: true, description: 'Create the file when it does not exist (its directory must exist).' },
    mode: { type: 'mode', description: 'Octal mode as a quoted string, e.g. "0644". Default: keep the existing mode, or umask for a new file.' },
    owner: { type: 'str', description: 'Owner name or uid.' },
    group: { type: 'str', description: 'Group name or gid.' },
    backup: { type: 'bool', default: false, description: 'Keep a copy of the replaced file as PATH.YYYYMMDDhhmmss~ (result backup_file).' },
  },
  validate(args) {
    if (args.set === undefined && args.defaults === undefined && !args.exclusive?.length) {
      throw new ArgumentError('yaml_keys needs at least one of set, defaults or exclusive');
    }
    if (args.schema !== undefined && !isPlainObject(args.schema) && typeof args.schema !== 'string') {
      throw new ArgumentError('argument \'schema\' of module \'yaml_keys\' must be a mapping (a JSON Schema) or the path of a schema file');
    }
    for (const p of args.exclusive ?? []) {
      if (p === '' || p.split('.').some((k) => k === '')) throw new ArgumentError(`yaml_keys: exclusive path '${p}' has an empty key`);
    }
  },
  probes(args) {
    return [{ path: args.path, opts: PROBE }];
  },
  async plan(ctx, args) {
    const probe = await probeFile(ctx, args.path, PROBE);
    if (probe.exists && probe.type !== 'file') throw new ModuleFailure(`${args.path} exists and is not a regular file (${probe.type})`);
    if (probe.exists && probe.content === undefined) {
      throw new ModuleFailure(`${args.path} is larger than ${MAX_CONTENT / 1024} KiB: yaml_keys does not edit files that size`);
    }
    if (!probe.exists && !args.create) throw new ModuleFailure(`${args.path} does not exist (create is false)`);
    const before = probe.exists ? probe.content!.toString('utf8') : undefined;
    let edited;
    try {
      edited = editYaml(before, { set: args.set, defaults: args.defaults, exclusive: args.exclusive });
    } catch (e) {
      if (e instanceof YamlEditError) {
        const at = e.line !== undefined ? `${args.path}:${e.line}:${e.col ?? 1}` : args.path;
        throw new ModuleFailure(`${at} (on ${ctx.host}): ${e.message}; nothing was changed`);
      }
      throw e;
    }
    if (args.schema !== undefined) {
      const problems = (await validatorFor(loadSchema(ctx, args.schema)))(edited.value);
      if (problems.length) {
        throw new ModuleFailure(`${args.path}: the edited document does not match the schema (${problems.join('; ')}); nothing was changed`);
      }
    }
    const attrs: Attrs = { mode: args.mode, owner: args.owner, group: args.group };
    const contentChanged = !probe.exists || edited.text !== before;
    const changes = attrChanges(probe, attrs);
    const result: Record<string, unknown> = {
      path: args.path,
      changed_keys: edited.changed,
      mode: attrs.mode !== undefined ? normMode(attrs.mode) : probe.mode,
      owner: attrs.owner ?? probe.owner,
      group: attrs.group ?? probe.group,
    };
    if (!contentChanged && Object.keys(changes).length === 0) {
      return { changed: false, msg: `${args.path}: the keys are already set`, result };
    }
    const diff: DiffEntry = { path: args.path };
    if (contentChanged) Object.assign(diff, { before: before ?? '', after: edited.text });
    if (!probe.exists) changes.state = { before: 'absent', after: 'file' };
    if (Object.keys(changes).length) diff.attrs = changes;
    const keys = edited.changed.length ? edited.changed.join(', ') : 'none';
    let msg: string;
    if (!probe.exists) msg = `would create ${args.path} (keys: ${keys})`;
    else if (contentChanged) msg = `would update ${args.path} (keys: ${keys})`;
    else msg = `would change ${Object.keys(changes).join(', ')} of ${args.path}`;
    if (!probe.exists && probe.parentExists === false) msg += ` (directory of ${args.path} does not exist yet)`;
    return { changed: true, msg, diff: [diff], result, state: { data: Buffer.from(edited.text, 'utf8'), contentChanged, attrs } };
  },
  async apply(ctx, args, plan) {
    const st = plan.state;
    if (!st) return { changed: false, msg: plan.msg, result: plan.result };
    const result: Record<string, unknown> = { ...plan.result };
    if (st.contentChanged) {
      const w = await writeFile(ctx, args.path, st.data, { ...st.attrs, backup: args.backup });
      Object.assign(result, { mode: w.mode, owner: w.owner, group: w.group });
      if (w.backupFile) result.backup_file = w.backupFile;
    } else {
      await setAttrs(ctx, args.path, st.attrs);
    }
    return { changed: true, msg: plan.msg?.replace(/^would (\w+)/, (_m, v: string) => (v.endsWith('e') ? v + 'd' : v + 'ed')), result, diff: plan.diff };
  },
});
