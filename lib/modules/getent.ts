// getent: a name-service database (passwd, group, hosts, services…) as the fact getent_<database>,
// built as Ansible 2.14's getent module builds it: each line split (on ":" for the colon databases,
// else on whitespace), its first field the key, the other fields the value; a key seen twice gets a
// list of those lists. One read-only request, the same one plan() makes and reads() declares.

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { pySplit, pySplitlines } from '../engine/jinja/methods.js';
import { define } from '../engine/jinja/values.js';
import { defineModule, ModuleFailure, type ReadRequest } from './types.js';

export interface GetentArgs {
  database: string;
  key?: string;
  service?: string;
  split?: string;
  fail_key: boolean;
}

const COLON = ['passwd', 'shadow', 'group', 'gshadow'];
const NO_GETENT = 127;

/** plan()'s one read-only request, also declared ahead (reads()): the two must be the same request. */
export function getentRequest(a: GetentArgs): ReadRequest {
  const words = ['getent', ...(a.service !== undefined ? ['-s', shq(a.service)] : []), '--', shq(a.database), ...(a.key !== undefined ? [shq(a.key)] : [])];
  return {
    script: `command -v getent >/dev/null 2>&1 || { printf '%s' "$PATH"; exit ${NO_GETENT}; }\nexec ${words.join(' ')}\n`,
    // getent prints C strings: text, no NUL
    opts: { label: 'getent', readOnly: true, text: true },
  };
}

/** Ansible's dict: first field → the other fields; a repeated key → the list of each line's fields. */
export function getentTree(out: string, split: string | undefined): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  const seen = new Map<string, number>();
  for (const line of pySplitlines(out)) {
    const record = pySplit(line, split ?? null);
    if (record.length === 0) continue; // (Python would fail on an empty line; getent prints none)
    const [k, ...fields] = record as [string, ...string[]];
    const n = seen.get(k) ?? 0;
    if (n === 0) define(tree, k, fields);
    else if (n === 1) define(tree, k, [tree[k], fields]);
    else (tree[k] as unknown[]).push(fields);
    seen.set(k, n + 1);
  }
  return tree;
}

const FAILURES: Record<number, string> = {
  1: 'Missing arguments, or database unknown.',
  2: 'One or more supplied key could not be found in the database.',
  3: 'Enumeration not supported on this database.',
};

export default defineModule<GetentArgs>({
  name: 'getent',
  doc: {
    short: 'A getent database (passwd, group, hosts, services…) as the fact getent_DATABASE',
    description:
      'Runs `getent [-s SERVICE] DATABASE [KEY]` and sets the fact getent_DATABASE (the variable getent_DATABASE and ansible_facts.getent_DATABASE, as Ansible): ' +
      'each entry\'s first field → the list of its other fields ' +
      '(split on ":" for passwd, shadow, group and gshadow, else on whitespace, unless split is given); a key found twice → a list of such lists. ' +
      'Without key, every entry. A missing key fails the task unless fail_key is false (then the fact maps the key to null, with a msg). ' +
      'Never changes anything; runs in check mode too; one request (often none: fetched ahead with an earlier task\'s read).',
    check: 'full',
    diff: false,
    examples: [
      '- getent: { database: passwd, key: root }',
      '- debug: { msg: "root\'s shell is {{ getent_passwd.root[5] }}" }',
      '- getent: { database: hosts, key: etcd1, fail_key: false }',
    ].join('\n'),
  },
  args: {
    database: { type: 'str', required: true, description: 'A database of the host\'s name service switch: passwd, group, hosts, services, shadow…' },
    key: { type: 'str', description: 'The entry to look up; without it, the whole database (if it can be enumerated).' },
    service: { type: 'str', description: 'Look in this NSS service only (getent -s), e.g. files.' },
    split: { type: 'str', description: 'Separator of the fields (default: ":" for the colon databases, whitespace for the others).' },
    fail_key: { type: 'bool', default: true, description: 'Fail the task when key is not found.' },
  },
  validate(a) {
    if (a.split === '') throw new ArgumentError('getent: split must not be empty');
  },
  // (a templated database is known only at run time)
  factNames: (a) => (typeof a.database === 'string' && !a.database.includes('{{') ? [`getent_${a.database}`] : undefined),
  reads: (a) => [getentRequest(a)],
  async plan(ctx, a) {
    const q = getentRequest(a);
    const r = await ctx.conn.exec(q.script, q.opts);
    if (r.exitCode === NO_GETENT && !r.stderr) throw new ModuleFailure(`Failed to find required executable "getent" in paths: ${r.stdout}`);
    const name = `getent_${a.database}`;
    if (r.exitCode === 0) {
      const tree = getentTree(r.stdout, a.split ?? (COLON.includes(a.database) ? ':' : undefined));
      // no msg: Ansible's result has none (it would be registered)
      return { changed: false, result: { ansible_facts: { [name]: tree } } };
    }
    const msg = FAILURES[r.exitCode] ?? 'Unexpected failure!';
    if (r.exitCode === 2 && !a.fail_key) {
      // (Python's None as a key prints as null)
      const tree: Record<string, unknown> = {};
      define(tree, a.key ?? 'null', null);
      return { changed: false, msg, result: { ansible_facts: { [name]: tree }, msg } };
    }
    throw new ModuleFailure(msg);
  },
  async apply(_ctx, _a, plan) {
    return { changed: false, msg: plan.msg, result: plan.result };
  },
});
