// debconf: one answer in the debconf database, as Ansible 2.14's module: the package's answers are
// read with `debconf-show`, the value is compared as a string (booleans case-insensitively) and set
// by feeding `PKG QUESTION VTYPE VALUE` to `debconf-set-selections` on stdin. A password answer is a
// secret: never in a command line or in output, and — unlike Ansible 2.14, whose debconf-show only
// says "(password omitted)" and so reports a change on every run — compared on the host, against
// the database itself, with the wanted value on stdin. Planning is one read-only request.

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan, type ReadRequest } from './types.js';

export interface DebconfArgs {
  name: string;
  question?: string;
  vtype?: string;
  value?: string;
  unseen: boolean;
}

const VTYPES = ['boolean', 'error', 'multiselect', 'note', 'password', 'seen', 'select', 'string', 'text', 'title'] as const;

/** How a password answer shows in output. */
const HIDDEN = '********';

/**
 * Compares the stored password of question $1 with stdin's first line, in the database debconf
 * itself is configured with; prints only `pw=same`, `pw=differs` or `pw=none`.
 */
const PASSWORD_CHECK =
  'use Debconf::Db; use Debconf::Question; Debconf::Db->load(readonly => "true"); ' +
  'my $w = <STDIN>; $w = "" unless defined $w; chomp $w; my $q = Debconf::Question->get($ARGV[0]); ' +
  'print "pw=", (!defined $q || !defined $q->value ? "none" : $q->value eq $w ? "same" : "differs"), "\\n";';

/** plan()'s one read-only request (also announced by reads()). */
function readRequest(a: DebconfArgs): ReadRequest {
  const lines = [
    'command -v debconf-show >/dev/null 2>&1 || { echo "Failed to find required executable debconf-show" >&2; exit 127; }',
    `o=$(debconf-show -- ${shq(a.name)}) || { rc=$?; exit $rc; }`,
    `printf '%s\\n' "$o"`,
  ];
  const password = a.vtype === 'password' && a.question !== undefined && a.value !== undefined;
  if (password) lines.push('echo @@bosun-password', `exec perl -e ${shq(PASSWORD_CHECK)} -- ${shq(a.question!)}`);
  return {
    script: lines.join('\n') + '\n',
    // the wanted password travels on stdin only, and is masked wherever the request is shown
    opts: { label: 'debconf:read', readOnly: true, ...(password ? { stdin: `${a.value!}\n`, secrets: a.value ? [a.value] : [] } : {}) },
  };
}

/** Ansible's get_selections: `* question: value` lines, the mark (seen) dropped. */
export function parseSelections(out: string): Record<string, string> {
  const sel: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const c = line.indexOf(':');
    if (c < 0) continue;
    sel[line.slice(0, c).replace(/^\*+|\*+$/g, '').trim()] = line.slice(c + 1).trim();
  }
  return sel;
}

interface DebconfState {
  data: string;
}

function serialize(d: Record<string, string>): string {
  // Ansible's callback renders a dict diff as sorted, indented JSON
  const sorted = Object.fromEntries(Object.keys(d).sort().map((k) => [k, d[k]]));
  return JSON.stringify(sorted, null, 4) + '\n';
}

async function plan(ctx: ModuleContext, a: DebconfArgs): Promise<Plan<DebconfState>> {
  const q = readRequest(a);
  const r = await ctx.conn.exec(q.script, q.opts);
  if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `debconf-show failed (exit ${r.exitCode})`, { rc: r.exitCode });
  const [shown, pw] = r.stdout.split('@@bosun-password\n');
  const prev = parseSelections(shown ?? '');
  if (a.question === undefined) return { changed: false, msg: '', result: { current: prev } };
  const question = a.question;
  const password = a.vtype === 'password';
  let value = a.value!;
  if (password && value !== '') ctx.secret(value);
  let changed: boolean;
  if (password) changed = /^pw=same$/m.test(pw ?? '') ? !(question in prev) : true;
  else if (!(question in prev)) changed = true;
  else if (a.vtype === 'boolean') {
    // debconf stores booleans as true/false
    value = value.toLowerCase();
    changed = value !== prev[question]!.toLowerCase();
  } else changed = value !== prev[question];
  if (!changed) return { changed: false, msg: '', result: { current: prev } };
  if (a.vtype === 'boolean' && (value === 'True' || value === 'False')) value = value.toLowerCase();
  const shownValue = password ? HIDDEN : value;
  const previous = { [question]: question in prev ? prev[question]! : '' };
  const current = { [question]: shownValue };
  return {
    changed: true,
    msg: `${question} set to ${password ? 'a new password' : JSON.stringify(value)}`,
    diff: [{ path: `debconf ${a.name}`, before: serialize(previous), after: serialize({ ...previous, ...current }) }],
    result: { current, previous },
    state: { data: [a.name, question, a.vtype, value].join(' ') + '\n' },
  };
}

export default defineModule<DebconfArgs, DebconfState>({
  name: 'debconf',
  doc: {
    short: 'Configure a .deb package',
    description:
      'Sets one debconf answer (what a package asks at install or dpkg-reconfigure time), as Ansible 2.14: debconf-show NAME lists the ' +
      "package's answers; a question not listed there, or with another value, is set with debconf-set-selections (the line on stdin). " +
      'Booleans compare case-insensitively; every other type, multiselect included, as the exact string. vtype=password: the value is ' +
      'masked everywhere and compared with the stored password on the host (Ansible 2.14 reports a change on every run). Without question, ' +
      'only reads: result current holds every answer of the package. The package is not reconfigured: run dpkg-reconfigure if it must ' +
      'act on the new answer. One read-only request plans it.',
    check: 'full',
    diff: true,
    examples: [
      '- debconf: { name: tzdata, question: tzdata/Areas, vtype: select, value: Europe }',
      '- debconf: { name: openssh-server, question: openssh-server/permit-root-login, vtype: boolean, value: "false" }',
      '- debconf: { name: mysql-server, question: mysql-server/root_password, vtype: password, value: "{{ vault_mysql_root }}" }',
      '- debconf: { name: locales }\n  register: locales_answers',
    ].join('\n'),
  },
  args: {
    name: { type: 'str', required: true, aliases: ['pkg'], description: 'Package whose answers are read (debconf-show NAME) and that owns the answer set.' },
    question: { type: 'str', aliases: ['selection', 'setting'], description: 'The question, e.g. tzdata/Areas (with vtype and value).' },
    vtype: { type: 'str', choices: VTYPES, description: 'The question\'s type; password values are secret.' },
    value: { type: 'str', aliases: ['answer'], description: 'The answer (booleans: true/false).' },
    unseen: { type: 'bool', default: false, description: 'Do not mark the question as seen (debconf-set-selections -u): the package may still ask it.' },
  },
  validate(a) {
    const given = [a.question, a.vtype, a.value].filter((v) => v !== undefined).length;
    if (given > 0 && given < 3) throw new ArgumentError('parameters are required together: question, vtype, value');
    if (a.question !== undefined && /\s/.test(a.question)) throw new ArgumentError(`question ${JSON.stringify(a.question)} cannot contain white space`);
    if (/\s/.test(a.name)) throw new ArgumentError(`name ${JSON.stringify(a.name)} cannot contain white space`);
  },
  reads: (a) => [readRequest(a)],
  plan,
  async apply(ctx, a, p) {
    const st = p.state!;
    const r = await ctx.conn.exec(`debconf-set-selections${a.unseen ? ' -u' : ''}\n`, { stdin: st.data, label: 'debconf:set', ...(a.vtype === 'password' && a.value ? { secrets: [a.value] } : {}) });
    if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `debconf-set-selections failed (exit ${r.exitCode})`, { rc: r.exitCode });
    return { changed: true, msg: r.stdout.trim() || p.msg, diff: p.diff, result: p.result };
  },
});
