// alternatives: one alternative of a Debian-style alternatives group, as community.general.alternatives
// (the version shipped with Ansible 2.14): registered (--install, with its priority and followers),
// selected (--set), back in auto mode (--auto) or removed (--remove). Planning is one read-only
// request: `update-alternatives --query NAME` (the machine-readable --display; hosts whose tool has
// no --query, RHEL's `alternatives`, answer --display, parsed as Ansible parses it) and whether the
// path exists. update-alternatives takes no `--`: names and paths are checked instead (no leading
// dash, absolute paths, no new lines) and quoted.

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan, type ReadRequest } from './types.js';

export interface Subcommand {
  name: string;
  path: string;
  link: string;
}

export interface AlternativesArgs {
  name: string;
  path: string;
  link?: string;
  priority?: number;
  state: 'selected' | 'present' | 'auto' | 'absent';
  subcommands?: Subcommand[];
}

/** What the host's tool says about the group (Ansible's parse()). */
export interface AltGroup {
  mode?: string;
  current?: string;
  link?: string;
  alternatives: Map<string, { priority: number; subcommands: Subcommand[] }>;
}

interface AltState {
  commands: string[][];
}

/** plan()'s one read-only request (also announced by reads()). */
function readRequest(a: AlternativesArgs): ReadRequest {
  const script = [
    'ua=$(command -v update-alternatives || command -v alternatives) || { echo "Failed to find required executable update-alternatives in paths: $PATH" >&2; exit 127; }',
    `if [ -e ${shq(a.path)} ]; then echo path=1; else echo path=0; fi`,
    `if "$ua" --help 2>&1 | grep -q -e '--query'; then echo fmt=query; LC_ALL=C "$ua" --query ${shq(a.name)} 2>/dev/null; else echo fmt=display; LC_ALL=C "$ua" --display ${shq(a.name)} 2>/dev/null; fi`,
    'echo "@@rc=$?"',
    '',
  ].join('\n');
  return { script, opts: { label: 'alternatives:read', readOnly: true } };
}

/** Parses `update-alternatives --query` (dpkg): a header block, then one block per alternative. */
export function parseQuery(out: string): AltGroup {
  const g: AltGroup = { alternatives: new Map() };
  const blocks = out.split(/\n\s*\n/).filter((b) => b.trim() !== '');
  const links = new Map<string, string>();
  blocks.forEach((block, i) => {
    const fields = new Map<string, string>();
    const slaves: [string, string][] = [];
    let inSlaves = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(' ') && inSlaves) {
        const m = /^ (\S+) (.*)$/.exec(line);
        if (m) slaves.push([m[1]!, m[2]!]);
        continue;
      }
      const m = /^([A-Za-z]+): ?(.*)$/.exec(line);
      if (!m) continue;
      inSlaves = m[1] === 'Slaves';
      fields.set(m[1]!, m[2]!);
    }
    if (i === 0) {
      g.mode = fields.get('Status');
      const v = fields.get('Value');
      g.current = v === undefined || v === 'none' ? undefined : v;
      g.link = fields.get('Link');
      for (const [n, l] of slaves) links.set(n, l);
    } else if (fields.has('Alternative')) {
      g.alternatives.set(fields.get('Alternative')!, {
        priority: Number(fields.get('Priority') ?? '0'),
        subcommands: slaves.map(([name, path]) => ({ name, path, link: links.get(name)! })),
      });
    }
  });
  return g;
}

/** Parses `alternatives --display` with the expressions community.general.alternatives uses. */
export function parseDisplay(out: string, wanted?: Subcommand[]): AltGroup {
  const g: AltGroup = { alternatives: new Map() };
  const mode = /\s-\s(?:status\sis\s)?(\w*)(?:\smode|.)$/m.exec(out);
  if (!mode) return g;
  g.mode = mode[1];
  g.current = /^\s*link currently points to (.*)$/m.exec(out)?.[1];
  g.link = /^\s*link \w+ is (.*)$/m.exec(out)?.[1];
  const links = new Map<string, string>([...out.matchAll(/^\s*(?:slave|follower) (\S+) is (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  if (links.size === 0) for (const s of wanted ?? []) links.set(s.name, s.link);
  for (const m of out.matchAll(/^(\/.*)\s-\s(?:family\s\S+\s)?priority\s(\d+)((?:\s+(?:slave|follower).*)*)/gm)) {
    const subs = [...m[3]!.matchAll(/^\s+(?:slave|follower) (.*): (.*)$/gm)].filter((s) => s[2] !== '(null)');
    g.alternatives.set(m[1]!, { priority: Number(m[2]), subcommands: subs.map((s) => ({ name: s[1]!, path: s[2]!, link: links.get(s[1]!)! })) });
  }
  return g;
}

const sameSub = (x: Subcommand, y: Subcommand): boolean => x.name === y.name && x.path === y.path && x.link === y.link;

/** Ansible's AlternativeState as text for --diff. */
function describe(d: Record<string, unknown>): string {
  return Object.entries(d)
    .map(([k, v]) => (k === 'subcommands' ? `subcommands:\n${(v as Subcommand[]).map((s) => `  - ${s.name} ${s.link} -> ${s.path}\n`).join('')}` : `${k}: ${String(v)}\n`))
    .join('');
}

async function plan(ctx: ModuleContext, a: AlternativesArgs): Promise<Plan<AltState>> {
  const q = readRequest(a);
  const r = await ctx.conn.exec(q.script, q.opts);
  if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `cannot read the alternatives of ${a.name} (exit ${r.exitCode})`, { rc: r.exitCode });
  const m = /^path=([01])\nfmt=(query|display)\n([\s\S]*)@@rc=(\d+)\n$/.exec(r.stdout);
  if (!m) throw new ModuleFailure(`unexpected answer reading the alternatives of ${a.name}: ${r.stdout.slice(0, 200)}`);
  const exists = m[1] === '1';
  // a group the tool does not know answers non-zero: no alternatives yet
  const g: AltGroup = m[4] !== '0' ? { alternatives: new Map() } : m[2] === 'query' ? parseQuery(m[3]!) : parseDisplay(m[3]!, a.subcommands);
  const cur = g.alternatives.get(a.path);
  const link = a.link ?? g.link;
  const priority = a.priority ?? cur?.priority ?? 50;
  const subcommands = a.subcommands ?? (cur && cur.subcommands.length > 0 ? cur.subcommands : undefined);

  const before: Record<string, unknown> = {};
  if (cur) {
    Object.assign(before, { state: 'present', path: a.path, priority: cur.priority, link: g.link });
    if (cur.subcommands.length > 0) before.subcommands = cur.subcommands;
    if (g.mode === 'manual' && g.current !== a.path) before.state = 'selected';
  } else before.state = 'absent';
  const after: Record<string, unknown> = {};
  const commands: string[][] = [];
  const messages: string[] = [];

  if (a.state !== 'absent') {
    const subs = a.subcommands;
    const reinstall =
      !cur ||
      (a.priority !== undefined && cur.priority !== a.priority) ||
      (subs !== undefined && (!cur.subcommands.every((s) => subs.some((p) => sameSub(p, s))) || !subs.every((p) => cur.subcommands.some((s) => sameSub(p, s)))));
    if (reinstall) {
      if (!exists) throw new ModuleFailure(`Specified path ${a.path} does not exist`);
      if (!link) throw new ModuleFailure('Needed to install the alternative, but unable to do so as we are missing the link');
      // as Ansible: followers are passed only when subcommands is given (a reinstall without them drops them)
      commands.push(['--install', link, a.name, a.path, String(priority), ...(subs ?? []).flatMap((s) => ['--slave', s.link, s.name, s.path])]);
      messages.push(`Install alternative '${a.path}' for '${a.name}'.`);
      Object.assign(after, { state: 'present', path: a.path, priority, link });
      if (subcommands) after.subcommands = subcommands;
    }
    if (a.state === 'selected' && g.current !== a.path) {
      commands.push(['--set', a.name, a.path]);
      messages.push(`Set alternative '${a.path}' for '${a.name}'.`);
      after.state = 'selected';
    }
    if (a.state === 'auto' && g.mode === 'manual') {
      commands.push(['--auto', a.name]);
      messages.push(`Set alternative to auto for '${a.name}'.`);
      after.state = 'present';
    }
  } else if (cur) {
    commands.push(['--remove', a.name, a.path]);
    messages.push(`Remove alternative '${a.path}' from '${a.name}'.`);
    after.state = 'absent';
  }
  const msg = messages.join(' ');
  if (commands.length === 0) return { changed: false, msg, result: { msg } };
  return {
    changed: true,
    msg,
    diff: [{ path: `alternatives ${a.name}`, before: describe(before), after: describe(after) }],
    result: { msg },
    state: { commands },
  };
}

const ABS = /^\/[^\n]*$/;

export default defineModule<AlternativesArgs, AltState>({
  name: 'alternatives',
  doc: {
    short: 'Manages alternative programs for common commands',
    description:
      'community.general.alternatives: registers PATH as an alternative of the group NAME (update-alternatives --install, with LINK, ' +
      'PRIORITY (default 50, or the priority it already has) and its followers, subcommands), then with state=selected makes it the ' +
      'choice (--set), with state=auto returns a group in manual mode to auto (--auto), with state=absent removes it (--remove). ' +
      'It is reinstalled when the priority or followers given differ from the registered ones. One read-only request plans it ' +
      '(update-alternatives --query NAME; --display where the tool has no --query); --diff shows the state before and after.',
    check: 'full',
    diff: true,
    examples: [
      '- alternatives: { name: editor, path: /usr/bin/vim.basic }',
      '- community.general.alternatives: { name: java, path: /usr/lib/jvm/java-17-openjdk-amd64/bin/java, link: /usr/bin/java, priority: 1700, state: present }',
      '- alternatives:\n    name: java\n    path: /usr/lib/jvm/java-17/bin/java\n    link: /usr/bin/java\n    subcommands:\n      - { name: keytool, link: /usr/bin/keytool, path: /usr/lib/jvm/java-17/bin/keytool }',
      '- alternatives: { name: editor, path: /bin/nano, state: absent }',
    ].join('\n'),
  },
  args: {
    name: { type: 'str', required: true, description: 'The generic name of the link group (editor, java).' },
    path: { type: 'path', required: true, description: 'The alternative: an absolute path that must exist on the host to be registered.' },
    link: { type: 'path', description: 'The generic link (/usr/bin/editor); needed to register a group the host does not know yet.' },
    priority: { type: 'int', description: 'Priority of the alternative (auto mode picks the highest); default 50 when registering, or its current one.' },
    state: {
      type: 'str',
      default: 'selected',
      choices: ['present', 'selected', 'auto', 'absent'],
      description: 'present: registered; selected: registered and chosen; auto: registered and the group in auto mode; absent: removed.',
    },
    subcommands: {
      type: 'list',
      elements: 'dict',
      aliases: ['slaves'],
      description: 'Followers of the alternative: a list of {name, path, link} (all three required), updated with it.',
    },
  },
  validate(a) {
    if (!/^[^\s/-][^\s/]*$/.test(a.name)) throw new ArgumentError(`name ${JSON.stringify(a.name)} must be a group name (no white space, no slash, no leading dash)`);
    if (!ABS.test(a.path)) throw new ArgumentError(`path ${JSON.stringify(a.path)} must be an absolute path`);
    if (a.link !== undefined && !ABS.test(a.link)) throw new ArgumentError(`link ${JSON.stringify(a.link)} must be an absolute path`);
    for (const [i, s] of (a.subcommands ?? []).entries()) {
      if (typeof s !== 'object' || s === null) throw new ArgumentError(`subcommands[${i}] must be a dict with name, path and link`);
      const keys = Object.keys(s);
      const extra = keys.filter((k) => !['name', 'path', 'link'].includes(k));
      if (extra.length > 0) throw new ArgumentError(`subcommands[${i}]: unsupported parameters: ${extra.join(', ')}`);
      for (const k of ['name', 'path', 'link'] as const) {
        if (typeof s[k] !== 'string' || s[k] === '') throw new ArgumentError(`subcommands[${i}]: missing required argument: ${k}`);
      }
      if (!/^[^\s/-][^\s/]*$/.test(s.name)) throw new ArgumentError(`subcommands[${i}]: name ${JSON.stringify(s.name)} must be a group name`);
      if (!ABS.test(s.path) || !ABS.test(s.link)) throw new ArgumentError(`subcommands[${i}]: path and link must be absolute paths`);
    }
  },
  reads: (a) => [readRequest(a)],
  plan,
  async apply(ctx, a, p) {
    const script =
      'ua=$(command -v update-alternatives || command -v alternatives) || exit 127\n' +
      p.state!.commands.map((c) => `LC_ALL=C "$ua" ${c.map(shq).join(' ')} || exit $?`).join('\n') +
      '\n';
    const r = await ctx.conn.exec(script, { label: 'alternatives:apply' });
    if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `update-alternatives failed (exit ${r.exitCode})`, { rc: r.exitCode, stdout: r.stdout, stderr: r.stderr });
    return { changed: true, msg: p.msg, diff: p.diff, result: p.result };
  },
});
